import MarkdownIt from 'markdown-it';

// Raw HTML is off, so authors' Markdown can never inject markup; markdown-it also refuses javascript: links.
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: true, breaks: false });

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

/** Renders author Markdown to safe HTML. */
export function renderMarkdown(source: string): string {
  return markdown.render(source);
}
