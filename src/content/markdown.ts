import MarkdownIt from 'markdown-it';
import {
  IMAGE_SIZES,
  type MediaReference,
  parseMediaUrl,
  type VariantExtension,
  variantFileName,
  variantSizes,
} from '../media/media-names.ts';

// Raw HTML is off, so authors' Markdown can never inject markup; markdown-it also refuses javascript: links.
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: true, breaks: false });
const escapeHtml = markdown.utils.escapeHtml;

const defaultLinkOpen =
  markdown.renderer.rules.link_open ??
  ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));

markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const href = String(token?.attrGet('href') ?? '');
  // External links must not learn where the reader came from through window.opener.
  if (token && /^https?:\/\//i.test(href)) token.attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, index, options, env, self);
};

function srcset(reference: MediaReference, extension: VariantExtension): string {
  return variantSizes(reference.largest)
    .map((size) => `/media/${variantFileName(reference.key, size, extension)} ${size.width}w`)
    .join(', ');
}

/** An uploaded image: WebP variants for browsers that take them, the fallback family for the rest. */
function responsiveImage(reference: MediaReference, alt: string, title: string | null): string {
  const sizes = escapeHtml(IMAGE_SIZES);
  const largest = `/media/${variantFileName(reference.key, reference.largest, reference.fallback)}`;
  return (
    `<picture><source type="image/webp" srcset="${srcset(reference, 'webp')}" sizes="${sizes}">` +
    `<img src="${largest}" srcset="${srcset(reference, reference.fallback)}" sizes="${sizes}"` +
    ` alt="${escapeHtml(alt)}"${title === null ? '' : ` title="${escapeHtml(title)}"`}` +
    ` width="${reference.largest.width}" height="${reference.largest.height}"` +
    ' loading="lazy" decoding="async"></picture>'
  );
}

// Synchronous on purpose: everything an uploaded image needs is in its URL, so no lookup is required.
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  if (token === undefined) return '';
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  const reference = parseMediaUrl(String(token.attrGet('src') ?? ''));
  const title = token.attrGet('title');
  if (reference !== null)
    return responsiveImage(reference, alt, title === null ? null : String(title));
  token.attrSet('alt', alt);
  token.attrSet('loading', 'lazy');
  return self.renderToken(tokens, index, options);
};

/** Renders author Markdown to safe HTML. */
export function renderMarkdown(source: string): string {
  return markdown.render(source);
}
