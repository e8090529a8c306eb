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
  countPublishedStatements,
  findNeighbours,
  findPublishedStatementBySlug,
  findRedirectedSlug,
  findSignatories,
  findTranslations,
  listAllStatements,
  listPublishedStatements,
  upsertStatement,
} from './statement-repository.ts';
