import type { FastifyInstance } from 'fastify';
import { type AdminDependencies, renderAdmin } from './admin-context.ts';

/** The back office's home: what needs attention. */
export function registerDashboardRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  admin.get('/', { config: { action: 'backoffice.enter' } }, async (request, reply) => {
    const rows = await deps.handle.db
      .selectFrom('statements')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.status] = Number(row.count);
    return renderAdmin(deps, request, reply, 'dashboard', { title: 'Dashboard', counts });
  });
}
