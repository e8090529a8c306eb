export { type FeedLink, feedLinksForPage } from './feed-links.ts';
export { type FeedDependencies, registerFeedRoutes } from './feed-routes.ts';
