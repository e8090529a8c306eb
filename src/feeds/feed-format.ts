/** The three feed formats, each at its own file extension. */
export const FEED_FORMATS = ['rss', 'atom', 'json'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

interface FormatDescription {
  /** What the feed's URL ends with: `feed.xml`, `feed.atom`, `feed.json`. */
  extension: string;
  /** The media type for autodiscovery links and, with a charset, the Content-Type. */
  mediaType: string;
  /** The name readers know the format by, shown in link titles. */
  name: string;
}

export const FEED_FORMAT: Record<FeedFormat, FormatDescription> = {
  rss: { extension: 'xml', mediaType: 'application/rss+xml', name: 'RSS' },
  atom: { extension: 'atom', mediaType: 'application/atom+xml', name: 'Atom' },
  json: { extension: 'json', mediaType: 'application/feed+json', name: 'JSON Feed' },
};

export function feedContentType(format: FeedFormat): string {
  return `${FEED_FORMAT[format].mediaType}; charset=utf-8`;
}
