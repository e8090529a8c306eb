import type { FastifyInstance } from 'fastify';
import type { AdminDependencies } from './admin-context.ts';

/** Placeholder until this part of the back office is built. */
export function registerSettingsRoutes(_admin: FastifyInstance, _deps: AdminDependencies): void {}
