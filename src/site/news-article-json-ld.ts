/** A signatory as schema.org describes it. */
export interface ArticleOrganisation {
  name: string;
  /** Its page on this site, absolute. */
  url: string;
  website: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface NewsArticleInput {
  headline: string;
  description: string;
  /** The statement's canonical URL. */
  url: string;
  language: string;
  publishedAt: Date;
  modifiedAt: Date;
  image: string | null;
  /** In signing order. */
  organisations: ArticleOrganisation[];
}

function organisation(signatory: ArticleOrganisation) {
  return {
    '@type': 'Organization',
    name: signatory.name,
    url: signatory.url,
    ...(signatory.website === null ? {} : { sameAs: signatory.website }),
    address: { '@type': 'PostalAddress', addressCountry: signatory.country },
  };
}

/** JSON that can sit inside `<script>`: no `<` can close the element or open a comment, whatever the text says. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** schema.org NewsArticle for a statement; its signatories are both its authors and its publishers. */
export function newsArticleJsonLd(input: NewsArticleInput): string {
  const organisations = input.organisations.map(organisation);
  return scriptSafeJson({
    '@context': 'https://schema.org',
    '@type': 'NewsArticle',
    headline: input.headline,
    description: input.description,
    datePublished: input.publishedAt.toISOString(),
    dateModified: input.modifiedAt.toISOString(),
    inLanguage: input.language,
    url: input.url,
    mainEntityOfPage: { '@type': 'WebPage', '@id': input.url },
    ...(input.image === null ? {} : { image: [input.image] }),
    author: organisations,
    publisher: organisations,
  });
}
