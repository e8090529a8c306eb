import type { FeedFormat } from './feed-format.ts';

/** A person or organisation credited in a feed, with the page that presents them. */
export interface FeedAuthor {
  name: string;
  url: string;
}

/** One statement as every feed format carries it; URLs are absolute. */
export interface FeedEntry {
  /** Permanent identifier: the statement's canonical URL, the same in every feed that lists it. */
  id: string;
  /** The statement's page in the feed's language. */
  url: string;
  title: string;
  language: string;
  contentHtml: string;
  summaryHtml: string;
  published: Date;
  updated: Date;
  /** The signatory organisations, in signing order. */
  authors: FeedAuthor[];
}

/** A feed, independent of its format. */
export interface FeedDocument {
  /** Permanent identifier of the feed (its Atom URL). */
  id: string;
  title: string;
  description: string;
  language: string;
  /** The HTML page the feed follows. */
  homePageUrl: string;
  /** The feed's own URL in each format. */
  urls: Record<FeedFormat, string>;
  faviconUrl: string;
  /** The site itself, credited as the feed's author. */
  publisher: FeedAuthor;
  updated: Date;
  /** Newest update among the entries, for Last-Modified; null for a feed without entries. */
  lastModified: Date | null;
  entries: FeedEntry[];
}
