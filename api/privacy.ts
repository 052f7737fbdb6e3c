/**
 * Data-subject requests through the API: `GET /v1/profiles/{id}/export` answers everything
 * held about the person as JSON; `POST /v1/profiles/{id}/erase` erases them everywhere and keeps
 * a replay of their old events from bringing them back. Both are audited (privacy_requests).
 * The tenant is the key's: another tenant's profile is a 404.
 */
import type { FastifyInstance } from 'fastify';
import type { PrivacyService } from './privacy-service.ts';

export function registerPrivacyRoutes(app: FastifyInstance, deps: { privacy: PrivacyService }): void {
  app.get<{ Params: { id: string } }>('/v1/profiles/:id/export', async (request, reply) => {
    const exported = await deps.privacy.exportPerson(request.tenantId, request.params.id, request.keyId || null);
    if (!exported) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    reply.header('content-disposition', `attachment; filename="customer360-${exported.profile.customer360_id}.json"`);
    return exported;
  });

  app.post<{ Params: { id: string } }>('/v1/profiles/:id/erase', async (request, reply) => {
    const erased = await deps.privacy.erasePerson(request.tenantId, request.params.id, request.keyId || null);
    if (!erased) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    request.log.info({ tenant: request.tenantId, profiles: erased.profiles, events: erased.events }, 'person erased');
    return { erased: true, removed: erased };
  });
}
