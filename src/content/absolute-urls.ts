/** A tag in HTML that markdown-it rendered: text never contains a raw `<`, attribute values never a raw `>`. */
const TAG = /<[A-Za-z][^>]*>/g;
/** URL-valued attributes; markdown-it always double-quotes attribute values. */
const URL_ATTRIBUTE = /(\s)(href|src|srcset|poster|cite)="([^"]*)"/g;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const DECODE: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decodeAttribute(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (_whole, name: string) => DECODE[name] ?? '');
}

function encodeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * One URL made absolute. Root-relative paths are appended to the base URL, as the site's own
 * canonical links are; other relative references resolve against the document they appear in.
 */
export function absoluteUrl(url: string, baseUrl: string, documentUrl: string): string {
  if (SCHEME.test(url) || url.startsWith('//')) return url;
  if (url.startsWith('/')) return `${baseUrl}${url}`;
  try {
    return new URL(url, documentUrl).href;
  } catch {
    return url;
  }
}

function absoluteSrcset(srcset: string, baseUrl: string, documentUrl: string): string {
  // Candidates are separated by a comma and whitespace; each is a URL and an optional descriptor.
  return srcset
    .split(/,\s+/)
    .map((candidate) => {
      const [, url = '', descriptor = ''] = /^\s*(\S+)(.*)$/.exec(candidate) ?? [];
      return url === '' ? candidate : `${absoluteUrl(url, baseUrl, documentUrl)}${descriptor}`;
    })
    .join(', ');
}

/**
 * Rendered statement HTML with every link and image URL absolute, for feed readers, which show
 * it away from the site; relative URLs there would point at the reader's own host.
 */
export function absoluteUrls(html: string, baseUrl: string, documentUrl: string): string {
  return html.replace(TAG, (tag) =>
    tag.replace(URL_ATTRIBUTE, (_whole, space: string, name: string, value: string) => {
      const raw = decodeAttribute(value);
      const absolute =
        name === 'srcset'
          ? absoluteSrcset(raw, baseUrl, documentUrl)
          : absoluteUrl(raw, baseUrl, documentUrl);
      return `${space}${name}="${encodeAttribute(absolute)}"`;
    }),
  );
}
