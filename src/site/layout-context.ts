import { feedLinksForPage } from '../feeds/index.ts';
import { pageAlternates } from './language-alternates.ts';
import { nativeLanguageName } from './languages.ts';
import { type ArticleMetadata, metaDescription, pageMetaTags } from './page-metadata.ts';
import { plainText } from './plain-text.ts';
import { localPath, prefixOfLanguage, type SiteState } from './site-state.ts';
import type { Theme } from './theme.ts';

/** What a route tells the layout about its page. */
export type PageContext = Record<string, unknown> & {
  /** The page's path without language prefix, for the language switcher and hreflang links. */
  path?: string;
  /** For a statement: the URL of each language version, so the switcher links to the translation itself. */
  translationsByLanguage?: Map<string, string>;
  /** A statement's dates, language and image, for Open Graph. */
  article?: ArticleMetadata;
  /** Script-safe JSON-LD (see news-article-json-ld.ts). */
  json_ld?: string;
};

/** The data every public template's layout uses: site, labels, page, languages. */
export function buildLayoutContext(
  theme: Theme,
  baseUrl: string,
  state: SiteState,
  page: PageContext,
) {
  const absolute = (path: string) => `${baseUrl}${path}`;
  const path = page.path ?? '/';
  const languageLinks =
    state.languages.length < 2
      ? []
      : state.languages.map((language) => {
          const sameVersion = page.translationsByLanguage?.get(language);
          const target =
            sameVersion ??
            localPath(
              { prefix: prefixOfLanguage(state, language) },
              page.translationsByLanguage ? '/' : path,
            );
          return {
            language,
            name: nativeLanguageName(language),
            current: language === state.settings.language,
            url: `/language/${encodeURIComponent(language)}?next=${encodeURIComponent(target)}`,
          };
        });
  const { translationsByLanguage: _versions, article, ...pageFields } = page;
  // Pages without a description of their own are described by the site's intro.
  const description = metaDescription(
    typeof page.description === 'string' && page.description.trim() !== ''
      ? page.description
      : plainText(state.introHtml),
  );
  return {
    site: {
      title: state.settings.title,
      intro_html: state.introHtml,
      intro_language: state.introLanguage,
      about_label: state.settings.aboutLabel || state.labels.find_out_more,
      about_path: localPath(state, state.settings.aboutPath),
      prefix: state.prefix,
      home: localPath(state, '/'),
      stylesheet: theme.assetUrl('style.css'),
      favicon: theme.assetUrl('favicon.svg'),
    },
    labels: state.labels,
    page: {
      language: state.settings.language,
      dir: state.direction,
      language_links: languageLinks,
      alternates: pageAlternates(path, state, absolute),
      feed_links: feedLinksForPage(state, baseUrl, page),
      ...pageFields,
      description,
      meta_tags: pageMetaTags({
        siteTitle: state.settings.title,
        title: typeof page.title === 'string' ? page.title : null,
        description,
        canonical: typeof page.canonical === 'string' ? page.canonical : null,
        language: state.settings.language,
        otherLanguages: state.languages.filter((language) => language !== state.settings.language),
        article,
      }),
    },
  };
}
