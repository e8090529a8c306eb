import { selectAll, selectOne } from 'css-select';
import type { Element } from 'domhandler';
import { getAttributeValue, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';

/** A parsed page with CSS selectors, for asserting what a visitor sees. */
export class Dom {
  readonly root: ReturnType<typeof parseDocument>;

  constructor(html: string) {
    this.root = parseDocument(html);
  }

  all(selector: string, within?: Element): Element[] {
    return selectAll(selector, within ?? this.root) as Element[];
  }

  one(selector: string, within?: Element): Element {
    const element = selectOne(selector, within ?? this.root) as Element | null;
    if (element === null) throw new Error(`No element matches ${selector}`);
    return element;
  }

  maybe(selector: string, within?: Element): Element | null {
    return selectOne(selector, within ?? this.root) as Element | null;
  }

  text(selector: string, within?: Element): string {
    return normaliseSpace(textContent(this.one(selector, within)));
  }
}

export function normaliseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function attr(element: Element, name: string): string | undefined {
  return getAttributeValue(element, name);
}

export function textOf(element: Element): string {
  return normaliseSpace(textContent(element));
}
