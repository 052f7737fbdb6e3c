/**
 * POST /v1/profiles/search: a customer found as a person types (the console's search box), by
 * an identifier, the start of an email or the start of a name. POST, so what was typed (an
 * email, a phone) is in no URL and no access log.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { MAX_SEARCH_RESULTS, searchProfiles, type GraphStore } from '../resolver/index.ts';

export function registerProfileSearch(app: FastifyInstance, deps: { graph: GraphStore; pool: pg.Pool; defaultRegion: string }): void {
  app.post<{ Body: { q?: unknown; limit?: unknown } | null }>('/v1/profiles/search', async (request, reply) => {
    const q = request.body?.q;
    if (typeof q !== 'string' || q.length > 320) return reply.code(400).send({ error: 'bad_request', message: 'q must be the text to search for (up to 320 characters)' });
    const limit = request.body?.limit ?? MAX_SEARCH_RESULTS;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_RESULTS) {
      return reply.code(400).send({ error: 'bad_request', message: `limit must be a whole number from 1 to ${MAX_SEARCH_RESULTS}` });
    }
    const settings = await deps.graph.tenantSettings(request.tenantId);
    const hits = await searchProfiles(deps.pool, request.tenantId, q, { region: settings.defaultRegion ?? deps.defaultRegion, providerRules: settings.emailProviderRules, limit });
    const profiles = await Promise.all(
      hits.map(async (hit) => {
        const p = await deps.graph.profileById(request.tenantId, hit.customer360_id);
        if (!p) return null;
        const name = [p.traits.first_name, p.traits.last_name].filter(Boolean).join(' ');
        return { customer360_id: p.customer360_id, full_name: name || null, primary_email: p.emails[0] ?? null, primary_phone: p.phones[0] ?? null, auth_user_id: p.auth_user_id, source_ids: p.source_ids, matched: hit.matched };
      }),
    );
    return { profiles: profiles.filter((p) => p !== null) };
  });
}
