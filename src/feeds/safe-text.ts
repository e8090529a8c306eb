// Characters XML 1.0 cannot carry at all, not even escaped; a single one makes the whole feed unreadable.
const NOT_XML_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text that may appear in an XML document. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHARACTERS, '');
}

/**
 * Text for a CDATA section written by xml-js, which splits only the first `]]>`; the others are
 * split here the same way, so the section cannot end early whatever the text holds.
 */
export function cdataSafe(text: string): string {
  let first = true;
  return xmlSafe(text).replace(/]]>/g, (end) => {
    if (first) {
      first = false;
      return end;
    }
    return ']]]]><![CDATA[>';
  });
}

/** Plain text as HTML, for fields that feed formats define as HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
