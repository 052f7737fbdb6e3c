/**
 * Consent written through the API: `POST /v1/profiles/{id}/consent` records a new version of a
 * profile's consent for one channel. It becomes a consent_changed event of the profile (source
 * crm), accepted like any other, so the versioned record in Postgres and the consent per channel
 * in ClickHouse come from one place, in event time order; the answer (202) names the event.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { GraphStore } from '../resolver/index.ts';
import { acceptEnvelopes, type IngestDeps } from '../ingest/index.ts';

const SCOPES = ['email', 'sms', 'push', 'whatsapp'];

export function registerConsentRoutes(app: FastifyInstance, deps: { graph: GraphStore; ingest: IngestDeps }): void {
  const accept = acceptEnvelopes(deps.ingest);
  app.post<{ Params: { id: string }; Body: Record<string, unknown> | null }>('/v1/profiles/:id/consent', async (request, reply) => {
    const body = request.body ?? {};
    if (typeof body.scope !== 'string' || !SCOPES.includes(body.scope)) return reply.code(400).send({ error: 'bad_request', message: `scope must be one of ${SCOPES.join(', ')}` });
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
