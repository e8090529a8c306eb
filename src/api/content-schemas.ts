import { type Static, Type } from 'typebox';

/** RFC 9457 problem details, as every error under /api/ is sent. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Always about:blank: the status and title say what it is.' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What went wrong, in a sentence a person can act on.' }),
    instance: Type.String({ description: 'The request path.' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          parameter: Type.Optional(Type.String()),
          pointer: Type.Optional(Type.String({ description: 'JSON Pointer into the body.' })),
          detail: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', title: 'Problem' },
);

const DateTime = (description: string) => Type.String({ format: 'date-time', description });
const AbsoluteUrl = (description: string) => Type.String({ format: 'uri', description });

export const SignatorySchema = Type.Object(
  {
    slug: Type.String(),
    name: Type.String(),
    country: Type.String({ description: 'ISO 3166-1 alpha-2 code.' }),
    url: AbsoluteUrl('The organisation’s page on this site.'),
  },
  { $id: 'Signatory', title: 'Signatory' },
);

const statementFields = {
  id: Type.Integer(),
  slug: Type.String(),
  url: AbsoluteUrl('The statement’s public page.'),
  title: Type.String(),
  language: Type.String({ description: 'BCP 47 language tag.' }),
  summary_html: Type.Union([Type.String(), Type.Null()], {
    description: 'The summary the authors wrote, as sanitized HTML, or null.',
  }),
  excerpt_html: Type.String({ description: 'The summary, or the opening words of the body.' }),
  published_at: DateTime('When it was published.'),
  updated_at: DateTime('When it was last changed.'),
  organisations: Type.Array(Type.Ref('Signatory'), {
    description: 'The signing organisations, in signing order.',
  }),
};

export const StatementSummarySchema = Type.Object(statementFields, {
  $id: 'StatementSummary',
  title: 'StatementSummary',
});

export const TranslationSchema = Type.Object(
  {
    language: Type.String(),
    slug: Type.String(),
    title: Type.String(),
    url: AbsoluteUrl('The translation’s public page.'),
    is_original: Type.Boolean({ description: 'Whether the others were translated from this one.' }),
  },
  { $id: 'Translation', title: 'Translation' },
);

export const StatementSchema = Type.Object(
  {
    ...statementFields,
    body_html: Type.String({ description: 'The whole text, as sanitized HTML.' }),
    translations: Type.Array(Type.Ref('Translation'), {
      description: 'Published versions in other languages.',
    }),
  },
  { $id: 'Statement', title: 'Statement' },
);

export const StatementListSchema = Type.Object(
  {
    data: Type.Array(Type.Ref('StatementSummary')),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page; null on the last page.',
    }),
    next_url: Type.Union([AbsoluteUrl('The next page, with the same filters.'), Type.Null()]),
  },
  { $id: 'StatementList', title: 'StatementList' },
);

export const OrganisationSchema = Type.Object(
  {
    slug: Type.String(),
    name: Type.String(),
    country: Type.String({ description: 'ISO 3166-1 alpha-2 code.' }),
    website: Type.Union([Type.String(), Type.Null()]),
    language: Type.String(),
    description_html: Type.String(),
    url: AbsoluteUrl('The organisation’s page on this site.'),
    updated_at: DateTime('When it was last changed.'),
  },
  { $id: 'Organisation', title: 'Organisation' },
);

export const OrganisationListSchema = Type.Object(
  { data: Type.Array(Type.Ref('Organisation')) },
  { $id: 'OrganisationList', title: 'OrganisationList' },
);

export const PageSchema = Type.Object(
  {
    slug: Type.String(),
    title: Type.String(),
    body_html: Type.String(),
    url: AbsoluteUrl('The page on this site.'),
    updated_at: DateTime('When it was last changed.'),
  },
  { $id: 'Page', title: 'Page' },
);

export const PageListSchema = Type.Object(
  { data: Type.Array(Type.Ref('Page')) },
  { $id: 'PageList', title: 'PageList' },
);

export const SearchResultSchema = Type.Object(
  {
    query: Type.String(),
    total: Type.Integer({ description: 'How many statements match (at least, when capped).' }),
    total_is_estimate: Type.Boolean({
      description: 'True when there are more matches than were counted.',
    }),
    page: Type.Integer(),
    per_page: Type.Integer(),
    data: Type.Array(
      Type.Object({
        slug: Type.String(),
        title: Type.String(),
        language: Type.String(),
        url: AbsoluteUrl('The statement’s public page.'),
        published_at: DateTime('When it was published.'),
        snippet_html: Type.String({
          description: 'Escaped text around the matches, with matches in <mark>.',
        }),
      }),
    ),
  },
  { $id: 'SearchResult', title: 'SearchResult' },
);

/** Every shared schema, registered once with Fastify so routes and the OpenAPI document refer to them. */
export const SHARED_SCHEMAS = [
  ProblemSchema,
  SignatorySchema,
  StatementSummarySchema,
  TranslationSchema,
  StatementSchema,
  StatementListSchema,
  OrganisationSchema,
  OrganisationListSchema,
  PageSchema,
  PageListSchema,
  SearchResultSchema,
];

export type StatementSummaryBody = Static<typeof StatementSummarySchema>;
export type OrganisationBody = Static<typeof OrganisationSchema>;
export type PageBody = Static<typeof PageSchema>;

/** Error responses every route may give, referring to the shared Problem schema. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: problemDescription(status), content: PROBLEM_CONTENT },
    ]),
  );

const PROBLEM_CONTENT = { 'application/problem+json': { schema: Type.Ref('Problem') } };

function problemDescription(status: number): string {
  const descriptions: Record<number, string> = {
    400: 'A parameter is invalid; the problem names it.',
    401: 'No valid access token.',
    403: 'The token’s owner may not do this.',
    404: 'Nothing at this address.',
    409: 'Someone changed it first, or it is still in use.',
    415: 'The body is not JSON.',
    422: 'The body has invalid fields; the problem names each.',
    429: 'Too many requests; wait as Retry-After says.',
  };
  return descriptions[status] ?? 'Error.';
}
