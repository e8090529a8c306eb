import { selectAll } from 'css-select';
import type { Element } from 'domhandler';
import { textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';

/** Hostile text for every field: each carries a marker so a leak can be traced to its payload. */
export const XSS_PAYLOADS = [
  '<script>alert("xss-1")</script>',
  '"><img src=x onerror=alert("xss-2")>',
  '<svg onload=alert("xss-3")><circle r=1 /></svg>',
  '[xss-4](javascript:alert("xss-4"))',
  '<a href="javascript:alert(\'xss-5\')">xss-5</a>',
  '<iframe src="https://evil.example/xss-6"></iframe>',
  '</textarea><script>alert("xss-7")</script>',
  "' onmouseover='alert(\"xss-8\")' x='",
  '{{ "xss-9" | upcase }}{% raw %}',
  '[xss-10](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![xss-11](x" onerror="alert(11))',
  '<scr\u0000ipt>alert("xss-12")</scr\u0000ipt>',
  '\u202Excss-13 \uFF1Cscript\uFF1Ealert(13)\uFF1C/script\uFF1E',
  '<style>body{display:none}</style><xss-14>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert("xss-15")>',
  '<div onclick="alert(\'xss-16\')">click</div> <details open ontoggle=alert("xss-16b")>',
];

export const XSS_TEXT = XSS_PAYLOADS.join('\n\n');

const FORBIDDEN_ELEMENTS = [
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'style',
  'xss-14',
  'base',
  'form[action^="javascript"]',
];

/** Structured data in the head: a data block browsers never run, and only if it is whole, valid JSON. */
function isJsonLdBlock(script: Element): boolean {
  if (script.attribs.type !== 'application/ld+json' || script.attribs.src !== undefined)
    return false;
  if ((script.parent as Element | null)?.name !== 'head') return false;
  try {
    JSON.parse(textContent(script));
    return true;
  } catch {
    return false;
  }
}

/** Everything in a page that could run injected code; an empty list means the page is safe. */
export function findInjectedMarkup(html: string, allowedScripts: string[] = []): string[] {
  const document = parseDocument(html);
  const problems: string[] = [];
  for (const script of selectAll('script', document) as unknown as Element[]) {
    if (isJsonLdBlock(script)) continue;
    const source = script.attribs.src ?? '';
    if (!allowedScripts.includes(source)) problems.push(`<script src="${source}">`);
  }
  for (const selector of FORBIDDEN_ELEMENTS) {
    for (const element of selectAll(selector, document) as unknown as Element[])
      problems.push(`<${element.name}>`);
  }
  for (const element of selectAll('*', document) as unknown as Element[]) {
    for (const [name, value] of Object.entries(element.attribs)) {
      if (/^on/i.test(name)) problems.push(`<${element.name} ${name}="${value}">`);
      if (
        /^(href|src|action|formaction|srcset|xlink:href)$/i.test(name) &&
        /^\s*(javascript|vbscript|data:text\/html)/i.test(value)
      ) {
        problems.push(`<${element.name} ${name}="${value}">`);
      }
    }
  }
  if (/XSS-9/.test(html)) problems.push('a Liquid expression in content was evaluated');
  return problems;
}
