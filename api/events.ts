/**
 * POST /v1/events: a JSON array of envelopes or {"events": [...]}, each record answered accepted
 * or rejected with its reasons (ingest/routes.ts validates and appends them).
 */
import type { FastifyInstance } from 'fastify';
import { acceptEnvelopes, type IngestDeps } from '../ingest/index.ts';

export function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const accept = acceptEnvelopes(deps);
  app.post('/v1/events', async (request, reply) => {
    const body = request.body as unknown;
    const records = Array.isArray(body)
      ? body
      : body && typeof body === 'object' && Array.isArray((body as { events?: unknown }).events)
        ? (body as { events: unknown[] }).events
        : null;
    if (!records) {
      return reply.code(400).send({ error: 'bad_request', message: 'send a JSON array of events or {"events": [...]}' });
    }
    const answer = await accept(request, records);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
