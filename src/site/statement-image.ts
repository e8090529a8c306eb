import { Parser } from 'htmlparser2';

/** The picture that stands for a statement when it is shared. */
export interface StatementImage {
  /** Absolute URL. */
  url: string;
  alt: string;
  width: number | null;
  height: number | null;
}

function dimension(value: string | undefined): number | null {
  return value !== undefined && /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : null;
}

/** The first image of a statement's rendered body, made absolute; null when it has none we can point at. */
export function firstImage(bodyHtml: string, baseUrl: string): StatementImage | null {
  let found: StatementImage | null = null;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (found !== null || name !== 'img') return;
      const src = (attributes.src ?? '').trim();
      // Our own uploads are root-relative; an image from elsewhere needs a full web address.
      const url = /^\/(?!\/)/.test(src)
        ? `${baseUrl}${src}`
        : /^https?:\/\//i.test(src)
          ? src
          : null;
      if (url === null) return;
      found = {
        url,
        alt: attributes.alt ?? '',
        width: dimension(attributes.width),
        height: dimension(attributes.height),
      };
    },
  });
  parser.end(bodyHtml);
  return found;
}
