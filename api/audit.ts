/**
 * GET /v1/audit: the tenant's API actions, newest first (platform/api-audit.ts): which key did
 * what, through which route, on which IDs, with what answer.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiAudit } from '../platform/api-audit.ts';

const MAX_PAGE = 500;

export function registerAuditRoutes(app: FastifyInstance, deps: { audit: ApiAudit }): void {
  app.get<{ Querystring: { limit?: string; before?: string } }>('/v1/audit', async (request) => {
    const limit = Math.min(MAX_PAGE, Math.max(1, Number(request.query.limit ?? 100) || 100));
    const actions = await deps.audit.list(request.tenantId, { limit, before: request.query.before });
    return { actions, next: actions.length === limit ? actions.at(-1)!.id : null };
  });
}
