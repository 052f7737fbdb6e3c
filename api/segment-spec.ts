/**
 * The Segment tracking API (identify, track, page, screen, alias, group, batch), mapped to event
 * envelopes by ingest/segment.ts; answers in Segment's shape with `success`.
 */
import type { FastifyInstance } from 'fastify';
import { RejectedRecord, SEGMENT_TYPES, acceptEnvelopes, envelopeOfSegment, isSegmentObject as isObject, segmentText as text, type IngestDeps } from '../ingest/index.ts';

export function registerSegmentRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const accept = acceptEnvelopes(deps);
  for (const type of SEGMENT_TYPES) {
    app.post(`/v1/${type}`, async (request, reply) => {
      const mapped = envelopeOfSegment(request.body, type);
      if ('error' in mapped) return reply.code(400).send({ success: false, error: 'bad_request', message: mapped.error });
      const answer = await accept(request, [mapped.envelope]);
      return reply.code(answer.status).headers(answer.headers).send({ success: answer.status === 200, ...answer.body });
    });
  }
  app.post('/v1/batch', async (request, reply) => {
    const body = request.body;
    if (!isObject(body) || !Array.isArray(body.batch)) {
      return reply.code(400).send({ success: false, error: 'bad_request', message: 'send {"batch": [...]}' });
    }
    const shared = isObject(body.context) ? body.context : null;
    const envelopes = body.batch.map((m) => {
      const message = shared && isObject(m) && !isObject(m.context) ? { ...m, context: shared } : m;
      const mapped = envelopeOfSegment(message, null);
      if ('envelope' in mapped) return mapped.envelope;
      return new RejectedRecord([{ path: '/', message: mapped.error }], isObject(m) ? (text(m.messageId) ?? undefined) : undefined);
    });
    const answer = await accept(request, envelopes);
    return reply.code(answer.status).headers(answer.headers).send({ success: answer.status === 200, ...answer.body });
  });
}
