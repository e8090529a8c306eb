import { shortenText } from './plain-text.ts';
import type { StatementImage } from './statement-image.ts';

/** Search engines show about this much of a description. */
export const DESCRIPTION_LENGTH = 160;

/** What a statement page adds to the sharing metadata. */
export interface ArticleMetadata {
  publishedAt: Date;
  modifiedAt: Date;
  /** The language the statement is written in, whatever the interface's. */
  language: string;
  /** Languages of its published translations. */
  otherLanguages: string[];
  image: StatementImage | null;
}

/** One `<meta>` in the head: Open Graph uses `property`, Twitter cards `name`. */
export interface MetaTag {
  property?: string;
  name?: string;
  content: string;
}

export interface PageMetadataInput {
  siteTitle: string;
  /** The page's own title; null on the front page, which is the site itself. */
  title: string | null;
  /** Plain text. */
  description: string;
  canonical: string | null;
  /** The page's language. */
  language: string;
  /** The other languages the page exists in. */
  otherLanguages: string[];
  article?: ArticleMetadata;
}

/** A meta description: plain text, at most DESCRIPTION_LENGTH characters, cut at a word. */
export function metaDescription(text: string): string {
  return shortenText(text.replace(/\s+/g, ' ').trim(), DESCRIPTION_LENGTH);
}

/** Open Graph wants `ll_TT`; a bare language gets its most likely territory (en → en_US, ar → ar_EG). */
export function openGraphLocale(language: string): string {
  let locale = openGraphLocales.get(language);
  if (locale === undefined) {
    locale = likelyLocale(language);
    openGraphLocales.set(language, locale);
  }
  return locale;
}

// Every page names its languages' locales; maximizing one is costly, and there are few languages.
const openGraphLocales = new Map<string, string>();

function likelyLocale(language: string): string {
  try {
    const locale = new Intl.Locale(language).maximize();
    return locale.region === undefined ? locale.language : `${locale.language}_${locale.region}`;
  } catch {
    return language.replace(/-/g, '_');
  }
}

/** Open Graph and Twitter card tags for a page. */
export function pageMetaTags(input: PageMetadataInput): MetaTag[] {
  const { article } = input;
  const title = input.title ?? input.siteTitle;
  const image = article?.image ?? null;
  const language = article?.language ?? input.language;
  const otherLanguages = article?.otherLanguages ?? input.otherLanguages;
  const og = (property: string, content: string): MetaTag => ({ property, content });
  const tags: MetaTag[] = [
    og('og:type', article === undefined ? 'website' : 'article'),
    og('og:site_name', input.siteTitle),
    og('og:title', title),
  ];
  if (input.description !== '') tags.push(og('og:description', input.description));
  if (input.canonical !== null) tags.push(og('og:url', input.canonical));
  tags.push(og('og:locale', openGraphLocale(language)));
  for (const other of otherLanguages) tags.push(og('og:locale:alternate', openGraphLocale(other)));
  if (image !== null) {
    tags.push(og('og:image', image.url));
    if (image.width !== null) tags.push(og('og:image:width', String(image.width)));
    if (image.height !== null) tags.push(og('og:image:height', String(image.height)));
    if (image.alt !== '') tags.push(og('og:image:alt', image.alt));
  }
  if (article !== undefined) {
    tags.push(og('article:published_time', article.publishedAt.toISOString()));
    tags.push(og('article:modified_time', article.modifiedAt.toISOString()));
  }
  tags.push({ name: 'twitter:card', content: image === null ? 'summary' : 'summary_large_image' });
  tags.push({ name: 'twitter:title', content: title });
  if (input.description !== '')
    tags.push({ name: 'twitter:description', content: input.description });
  return tags;
}
