import { Feed } from 'feed';
import type { FeedDocument } from './feed-document.ts';
import type { FeedFormat } from './feed-format.ts';
import { cdataSafe, escapeHtml, xmlSafe } from './safe-text.ts';

const GENERATOR = 'Communiqué';
const ATOM_ROOT = '<feed xmlns="http://www.w3.org/2005/Atom">';

/** xml-js writes an array as repeated elements; the feed typings admit only one object per extension. */
function repeatedElements(elements: { _text: string }[]): Record<string, unknown> {
  return elements as unknown as Record<string, unknown>;
}

/** RSS 2.0, with Dublin Core creators and languages, and Atom's `updated` for each item. */
function renderRss(document: FeedDocument): string {
  const feed = new Feed({
    id: document.id,
    title: xmlSafe(document.title),
    description: xmlSafe(document.description),
    link: document.homePageUrl,
    language: document.language,
    updated: document.updated,
    generator: GENERATOR,
    feedLinks: { rss: document.urls.rss },
  });
  for (const entry of document.entries) {
    feed.addItem({
      title: cdataSafe(entry.title),
      id: entry.id,
      link: entry.url,
      date: entry.updated,
      published: entry.published,
      description: cdataSafe(entry.summaryHtml),
      content: cdataSafe(entry.contentHtml),
      // RSS's own <author> must be an e-mail address; dc:creator is where names go.
      extensions: [
        {
          name: 'dc:creator',
          objects: repeatedElements(
            entry.authors.map((author) => ({ _text: xmlSafe(author.name) })),
          ),
        },
        { name: 'dc:language', objects: { _text: entry.language } },
        { name: 'atom:updated', objects: { _text: entry.updated.toISOString() } },
      ],
    });
  }
  return feed.rss2();
}

/** The library writes no xml:lang; the feed and each entry get theirs here. */
function withLanguages(xml: string, document: FeedDocument): string {
  let index = 0;
  return xml
    .replace(ATOM_ROOT, `${ATOM_ROOT.slice(0, -1)} xml:lang="${escapeHtml(document.language)}">`)
    .replace(/^(\s*)<entry>$/gm, (whole, indent: string) => {
      const entry = document.entries[index];
      index += 1;
      return entry === undefined
        ? whole
        : `${indent}<entry xml:lang="${escapeHtml(entry.language)}">`;
    });
}

/** Atom 1.0; titles are plain text, so they are escaped for Atom's `type="html"`. */
function renderAtom(document: FeedDocument): string {
  const feed = new Feed({
    id: document.id,
    title: xmlSafe(document.title),
    description: xmlSafe(document.description),
    link: document.homePageUrl,
    updated: document.updated,
    generator: GENERATOR,
    favicon: document.faviconUrl,
    feedLinks: { atom: document.urls.atom },
    // Atom requires a feed author whenever an entry could lack one, as an empty feed does.
    author: { name: xmlSafe(document.publisher.name), link: document.publisher.url },
  });
  for (const entry of document.entries) {
    feed.addItem({
      title: cdataSafe(escapeHtml(entry.title)),
      id: entry.id,
      link: entry.url,
      date: entry.updated,
      published: entry.published,
      description: cdataSafe(entry.summaryHtml),
      content: cdataSafe(entry.contentHtml),
      author: entry.authors.map((author) => ({ name: xmlSafe(author.name), link: author.url })),
    });
  }
  return withLanguages(feed.atom1(), document);
}

/** What the library's JSON Feed 1 output holds, as far as it is upgraded here. */
interface LibraryJsonFeed {
  version: string;
  items: Record<string, unknown>[];
  [field: string]: unknown;
}

/** JSON Feed 1.1: the library writes version 1, so its output gains 1.1's `authors` and `language`. */
function renderJsonFeed(document: FeedDocument): string {
  const feed = new Feed({
    id: document.id,
    title: document.title,
    description: document.description,
    link: document.homePageUrl,
    feedLinks: { json: document.urls.json },
  });
  for (const entry of document.entries) {
    feed.addItem({
      title: entry.title,
      id: entry.id,
      link: entry.url,
      date: entry.updated,
      published: entry.published,
      description: entry.summaryHtml,
      content: entry.contentHtml,
    });
  }
  const { version: _version1, items, ...fields } = JSON.parse(feed.json1()) as LibraryJsonFeed;
  const upgraded = {
    version: 'https://jsonfeed.org/version/1.1',
    ...fields,
    favicon: document.faviconUrl,
    language: document.language,
    authors: [document.publisher],
    items: items.map((item, index) => {
      const entry = document.entries[index];
      return { ...item, language: entry?.language, authors: entry?.authors ?? [] };
    }),
  };
  return JSON.stringify(upgraded, null, 2);
}

/** The feed document in one format. */
export function renderFeed(document: FeedDocument, format: FeedFormat): string {
  switch (format) {
    case 'rss':
      return renderRss(document);
    case 'atom':
      return renderAtom(document);
    case 'json':
      return renderJsonFeed(document);
  }
}
