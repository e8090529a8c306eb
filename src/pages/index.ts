export type { Page, PageInput } from './page.ts';
export { findPageBySlug, listPages, upsertPage } from './page-repository.ts';
