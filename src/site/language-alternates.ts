import type { Statement, TranslationLink } from '../statements/index.ts';
import { statementUrl } from './site-presenter.ts';

export interface LanguageAlternate {
  hreflang: string;
  href: string;
}

/** hreflang links for a statement and its published translations; x-default is the original. */
export function languageAlternates(
  statement: Statement,
  translations: TranslationLink[],
  absolute: (path: string) => string,
): LanguageAlternate[] {
  if (translations.length === 0) return [];
  const versions = [
    {
      language: statement.language,
      slug: statement.slug,
      isOriginal: statement.translationOfId === null,
    },
    ...translations,
  ];
  const original = versions.find((version) => version.isOriginal) ?? versions[0];
  return [
    ...versions.map((version) => ({
      hreflang: version.language,
      href: absolute(statementUrl(version.slug)),
    })),
    ...(original ? [{ hreflang: 'x-default', href: absolute(statementUrl(original.slug)) }] : []),
  ];
}
