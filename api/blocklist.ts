/**
 * The tenant's blocklist of junk identifier values (resolver/blocklist.ts), read and replaced
 * through the API. The tenant comes from the API key, like /v1/identity/settings. Values are
 * personal data in general: the answers hold them (the tenant's own data), no log line does.
 */
import type { FastifyInstance } from 'fastify';
import { BlocklistError, type BlocklistStore } from '../resolver/index.ts';
import type { TenantSettings } from '../resolver/index.ts';

/** At most this many refused entries are listed in an answer. */
const MAX_ERRORS = 100;

export interface BlocklistRoutesDeps {
  blocklists: BlocklistStore;
  /** The tenant's identity settings: phones without a country code are read in its region. */
  graph: { tenantSettings(tenantId: string): Promise<TenantSettings> };
  /** The deployment's region (C360_DEFAULT_REGION), for a tenant without one of its own. */
  defaultRegion: string;
}

export function registerBlocklistRoutes(app: FastifyInstance, deps: BlocklistRoutesDeps): void {
  app.get('/v1/identity/blocklist', async (request) => ({ entries: await deps.blocklists.list(request.tenantId) }));

  // Replaces the whole list: {"entries": [{"type": "phone", "value": "+1 415 555 0100", "reason": "shop landline"}]}.
  app.put<{ Body: unknown }>('/v1/identity/blocklist', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('entries' in body)) {
      return reply.code(400).send({ error: 'bad_request', message: 'send {"entries": [{"type": "email", "value": "...", "reason": "..."}]}; an empty list clears the blocklist' });
    }
    const settings = await deps.graph.tenantSettings(request.tenantId);
    try {
      return { entries: await deps.blocklists.replace(request.tenantId, (body as { entries: unknown }).entries, settings.defaultRegion ?? deps.defaultRegion) };
    } catch (error) {
      if (error instanceof BlocklistError) {
        const n = error.problems.length;
        const first = error.problems.slice(0, 3).map((p) => p.message).join('; ');
        return reply.code(400).send({
          error: 'bad_request',
          message: `${n} problem${n > 1 ? 's' : ''} in the blocklist, nothing was changed: ${first}${n > 3 ? '; ...' : ''}`,
          errors: error.problems.slice(0, MAX_ERRORS),
        });
      }
      throw error;
    }
  });
}
