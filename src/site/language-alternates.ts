import type { Statement, TranslationLink } from '../statements/index.ts';
import { statementUrl } from './site-presenter.ts';
import { localPath, prefixOfLanguage, type SiteState } from './site-state.ts';

export interface LanguageAlternate {
  hreflang: string;
  href: string;
}

/** hreflang links for a statement and its published translations; x-default is the original. */
export function languageAlternates(
  statement: Pick<Statement, 'language' | 'slug' | 'translationOfId'>,
  translations: TranslationLink[],
  absolute: (path: string) => string,
  state: Pick<SiteState, 'languages' | 'defaultLanguage'>,
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
      href: absolute(`${prefixOfLanguage(state, version.language)}${statementUrl(version.slug)}`),
    })),
    ...(original
      ? [
          {
            hreflang: 'x-default',
            href: absolute(
              `${prefixOfLanguage(state, original.language)}${statementUrl(original.slug)}`,
            ),
          },
        ]
      : []),
  ];
}

/** hreflang links for a page that exists in every language of the site: the same path under each prefix. */
export function pageAlternates(
  path: string,
  state: SiteState,
  absolute: (path: string) => string,
): LanguageAlternate[] {
  if (state.languages.length < 2) return [];
  return [
    ...state.languages.map((language) => ({
      hreflang: language,
      href: absolute(localPath({ prefix: prefixOfLanguage(state, language) }, path)),
    })),
    { hreflang: 'x-default', href: absolute(path) },
  ];
}
