export { type FeedDependencies, registerFeedRoutes } from './feed-routes.ts';
