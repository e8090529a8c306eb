import type { LanguageAlternate } from './language-alternates.ts';

/** One `<url>` of a sitemap. */
export interface SitemapEntry {
  /** Absolute URL. */
  loc: string;
  lastmod: Date | null;
  /** hreflang versions of the same page, itself included, and x-default. */
  alternates: LanguageAlternate[];
}

/** One `<sitemap>` of a sitemap index. */
export interface SitemapPart {
  loc: string;
  lastmod: Date | null;
}

const SITEMAP_NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

// Characters XML 1.0 cannot carry at all, not even as references: they are dropped.
const NOT_XML_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const SPECIAL: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe inside an XML element or a quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHARACTERS, '').replace(/[&<>"']/g, (char) => SPECIAL[char] ?? '');
}

function lastmod(date: Date | null): string {
  return date === null ? '' : `<lastmod>${date.toISOString()}</lastmod>`;
}

function urlElement(entry: SitemapEntry): string {
  const links = entry.alternates
    .map(
      (alternate) =>
        `<xhtml:link rel="alternate" hreflang="${escapeXml(alternate.hreflang)}" href="${escapeXml(alternate.href)}"/>`,
    )
    .join('');
  return `<url><loc>${escapeXml(entry.loc)}</loc>${lastmod(entry.lastmod)}${links}</url>\n`;
}

/** A `<urlset>` document. */
export function renderUrlSet(entries: Iterable<SitemapEntry>): string {
  const parts = [`${DECLARATION}<urlset xmlns="${SITEMAP_NS}" xmlns:xhtml="${XHTML_NS}">\n`];
  for (const entry of entries) parts.push(urlElement(entry));
  parts.push('</urlset>\n');
  return parts.join('');
}

/** A `<sitemapindex>` document. */
export function renderSitemapIndex(parts: SitemapPart[]): string {
  const items = parts.map(
    (part) => `<sitemap><loc>${escapeXml(part.loc)}</loc>${lastmod(part.lastmod)}</sitemap>\n`,
  );
  return `${DECLARATION}<sitemapindex xmlns="${SITEMAP_NS}">\n${items.join('')}</sitemapindex>\n`;
}
