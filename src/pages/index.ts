export type { Page, PageInput } from './page.ts';
export { findPageBySlug, listPages, upsertPage } from './page-repository.ts';
export {
  createPage,
  deletePage,
  findPageById,
  type PageDraft,
  type PageEditor,
  PageForbiddenError,
  PageInputError,
  PageInUseError,
  PageNotFoundError,
  pagePath,
  pageSlugFromTitle,
  RESERVED_PAGE_SLUGS,
  updatePage,
} from './page-service.ts';
