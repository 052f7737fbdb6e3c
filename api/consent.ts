/**
 * Consent through the API: the scopes a tenant records besides the channels (`GET` and `PUT
 * /v1/consent/scopes`), and `POST /v1/profiles/{id}/consent`, which records a new version of a
 * profile's consent for one scope. It becomes a consent_changed event of the profile (source
 * crm), accepted like any other, so the versioned record in Postgres and the consent per channel
 * in ClickHouse come from one place, in event time order; the answer (202) names the event.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ConsentScopeError, parseConsentScopes, type ConsentScope, type ConsentScopeStore, type GraphStore } from '../resolver/index.ts';
import { CONSENT_CHANNELS } from '../schemas/consent-scopes.ts';
import { acceptEnvelopes, type IngestDeps } from '../ingest/index.ts';

export function registerConsentRoutes(app: FastifyInstance, deps: { graph: GraphStore; ingest: IngestDeps; scopes: ConsentScopeStore }): void {
  const accept = acceptEnvelopes(deps.ingest);

  // The scopes besides the channels: every key of the tenant may read them, an admin replaces them.
  app.get('/v1/consent/scopes', async (request) => ({ channels: CONSENT_CHANNELS, scopes: await deps.scopes.list(request.tenantId) }));
  app.put<{ Body: { scopes?: unknown } | null }>('/v1/consent/scopes', async (request, reply) => {
    let scopes: ConsentScope[];
    try {
      scopes = parseConsentScopes(request.body?.scopes);
    } catch (error) {
      if (error instanceof ConsentScopeError) return reply.code(400).send({ error: 'bad_request', message: error.message });
      throw error;
    }
    return { channels: CONSENT_CHANNELS, scopes: await deps.scopes.replace(request.tenantId, scopes) };
  });

  app.post<{ Params: { id: string }; Body: Record<string, unknown> | null }>('/v1/profiles/:id/consent', async (request, reply) => {
    const body = request.body ?? {};
    if (typeof body.scope !== 'string' || !(await deps.scopes.allows(request.tenantId, body.scope))) {
      const configured = (await deps.scopes.list(request.tenantId)).map((s) => s.scope);
      return reply.code(400).send({ error: 'bad_request', message: `scope must be one of ${[...CONSENT_CHANNELS, ...configured].join(', ')} (other scopes: PUT /v1/consent/scopes)` });
    }
    if (body.status !== 'granted' && body.status !== 'revoked') return reply.code(400).send({ error: 'bad_request', message: 'status must be granted or revoked' });
    const profile = await deps.graph.profileById(request.tenantId, request.params.id);
    if (!profile) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    // The profile's own identifier, strongest first, so the event links to it.
    const identity = profile.auth_user_id
      ? { auth_user_id: profile.auth_user_id }
      : profile.emails[0]
        ? { email: profile.emails[0] }
        : profile.phones[0]
          ? { phone: profile.phones[0] }
          : null;
    if (!identity) return reply.code(409).send({ error: 'conflict', message: 'the profile has no identifier to record consent under' });
    const eventId = `consent-api-${randomUUID()}`;
    const answer = await accept(request, [
      {
        event_id: eventId,
        source: 'crm',
        type: 'consent_changed',
        occurred_at: typeof body.occurred_at === 'string' ? body.occurred_at : new Date().toISOString(),
        identity,
        properties: {
          scope: body.scope,
          status: body.status,
          ...(typeof body.policy_version === 'string' ? { policy_version: body.policy_version } : {}),
          ...(typeof body.ip === 'string' ? { ip: body.ip } : {}),
          ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
        },
      },
    ]);
    if (answer.status !== 200) return reply.code(answer.status).headers(answer.headers).send(answer.body);
    const result = (answer.body as { results?: { status: string; errors?: unknown }[] }).results?.[0];
    if (result && result.status !== 'accepted') return reply.code(400).send({ error: 'bad_request', message: 'invalid consent', errors: result.errors });
    return reply.code(202).send({ customer360_id: profile.customer360_id, event_id: eventId, accepted: true });
  });
}
