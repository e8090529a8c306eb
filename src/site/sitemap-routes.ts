import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseHandle } from '../db/connect.ts';
import { SITEMAP_KEY, surrogateKeys } from '../ops/surrogate-keys.ts';
import { countPublishedStatements } from '../statements/index.ts';
import { requestLanguage } from './language-prefixes.ts';
import type { PageCache } from './page-cache.ts';
import { sendPage, toCachedPage } from './send-page.ts';
import type { SiteStateStore } from './site-state.ts';
import { siteEntries, statementEntries } from './sitemap-entries.ts';
import {
  listSitemapStatementStamps,
  listSitemapStatements,
  publishedStatementIdAt,
} from './sitemap-repository.ts';
import {
  renderSitemapIndex,
  renderUrlSet,
  type SitemapEntry,
  type SitemapPart,
} from './sitemap-xml.ts';

/** The most URLs one sitemap file may list (sitemaps.org); beyond it /sitemap.xml becomes an index. */
export const URLS_PER_SITEMAP = 50_000;
const STATEMENT_BATCH = 1000;
const STAMP_BATCH = 10_000;
const XML = 'application/xml; charset=utf-8';

export interface SitemapDependencies {
  handle: DatabaseHandle;
  state: SiteStateStore;
  cache: PageCache;
  baseUrl: string;
  /** Tests lower it to see the index and its parts without 50,000 statements. */
  urlsPerSitemap?: number;
}

/** `/sitemap.xml` (a URL set, or an index of `/sitemaps/<n>.xml` parts once it would be too long). */
export async function registerSitemapRoutes(
  server: FastifyInstance,
  deps: SitemapDependencies,
): Promise<void> {
  const { handle, state: store, cache, baseUrl } = deps;
  const db = handle.db;
  const limit = deps.urlsPerSitemap ?? URLS_PER_SITEMAP;

  /** What every sitemap document starts from: the few non-statement pages, and how many statements follow them. */
  const plan = async () => {
    const [entries, statements] = await Promise.all([
      siteEntries(db, store, baseUrl),
      countPublishedStatements(db),
    ]);
    const total = entries.length + statements;
    return { entries, total, parts: Math.max(1, Math.ceil(total / limit)) };
  };

  /** `count` statements' entries from position `start` in id order, read in keyset batches. */
  const statementRange = async (start: number, count: number): Promise<SitemapEntry[]> => {
    const state = await store.get();
    const entries: SitemapEntry[] = [];
    // One index-only lookup finds where the part begins; the rows themselves are read by keyset.
    let afterId = start === 0 ? null : ((await publishedStatementIdAt(db, start - 1)) ?? null);
    if (start > 0 && afterId === null) return entries;
    while (entries.length < count) {
      const batch = await listSitemapStatements(
        db,
        afterId,
        Math.min(STATEMENT_BATCH, count - entries.length),
      );
      if (batch.length === 0) break;
      entries.push(...(await statementEntries(db, state, baseUrl, batch)));
      afterId = batch[batch.length - 1]?.id ?? afterId;
    }
    return entries;
  };

  /** Each part's newest lastmod, walking ids and update instants only. */
  const partSummaries = async (fixed: SitemapEntry[], parts: number): Promise<SitemapPart[]> => {
    const newest: (Date | null)[] = Array.from({ length: parts }, () => null);
    const note = (position: number, date: Date | null) => {
      const part = Math.floor(position / limit);
      const current = newest[part] ?? null;
      if (date !== null && (current === null || date > current)) newest[part] = date;
    };
    fixed.forEach((entry, position) => {
      note(position, entry.lastmod);
    });
    let position = fixed.length;
    let afterId: number | null = null;
    for (;;) {
      const batch = await listSitemapStatementStamps(db, afterId, STAMP_BATCH);
      for (const stamp of batch) note(position++, stamp.updatedAt);
      if (batch.length < STAMP_BATCH) break;
      afterId = batch[batch.length - 1]?.id ?? afterId;
    }
    return newest.map((lastmod, index) => ({
      loc: `${baseUrl}/sitemaps/${index + 1}.xml`,
      lastmod,
    }));
  };

  const serveXml = async (
    request: FastifyRequest,
    reply: FastifyReply,
    render: () => Promise<string | null>,
  ) => {
    // Sitemaps describe the whole site: /es/sitemap.xml is not one.
    if (requestLanguage(request) !== undefined) return reply.callNotFound();
    const key = `sitemap|${request.url.split('?')[0] ?? ''}`;
    let page = cache.get(key);
    if (page === undefined) {
      const generation = cache.generation;
      const xml = await render();
      if (xml === null) return reply.callNotFound();
      page = toCachedPage(200, xml, XML, surrogateKeys(SITEMAP_KEY));
      cache.set(key, page, generation);
    }
    return sendPage(request, reply, page);
  };

  server.get('/sitemap.xml', (request, reply) =>
    serveXml(request, reply, async () => {
      const { entries, total, parts } = await plan();
      if (parts === 1)
        return renderUrlSet([...entries, ...(await statementRange(0, total - entries.length))]);
      return renderSitemapIndex(await partSummaries(entries, parts));
    }),
  );

  server.get<{ Params: { file: string } }>('/sitemaps/:file', (request, reply) =>
    serveXml(request, reply, async () => {
      const match = /^([1-9][0-9]{0,6})\.xml$/.exec(request.params.file);
      if (match === null) return null;
      const part = Number(match[1]);
      const { entries, total, parts } = await plan();
      if (parts === 1 || part > parts) return null;
      const start = (part - 1) * limit;
      const end = Math.min(part * limit, total);
      const fromStatements = Math.max(0, start - entries.length);
      const statementCount = end - entries.length - fromStatements;
      return renderUrlSet([
        ...entries.slice(start, end),
        ...(statementCount > 0 ? await statementRange(fromStatements, statementCount) : []),
      ]);
    }),
  );
}
