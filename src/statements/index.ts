export { chooseExcerpt, type Excerpt, excerptFromHtml } from './excerpt.ts';
export {
  isStatementStatus,
  STATEMENT_STATUSES,
  type Statement,
  type StatementInput,
  type StatementListing,
  type StatementNeighbours,
  type StatementStatus,
  type TranslationLink,
} from './statement.ts';
export {
  countAllStatements,
  countPublishedBetween,
  countPublishedInPeriods,
  countPublishedStatements,
  findNeighbours,
  findPublishedStatementBySlug,
  findRedirectedSlug,
  findSignatories,
  findTranslations,
  type LanguageView,
  listAllStatements,
  listPublishedBetween,
  listPublishedStatements,
  publishedRange,
  upsertStatement,
} from './statement-repository.ts';
