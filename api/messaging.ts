/**
 * Messaging webhooks: SendGrid email events (a JSON array, one answer per event) and Twilio
 * inbound messages and status callbacks (form-encoded or JSON), mapped by ingest/messaging.ts.
 */
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { EMPTY_TWIML, RejectedRecord, acceptEnvelopes, acceptInSlices, envelopeOfSendGridEvent, envelopeOfTwilio, messagingReasonOf as reasonOf, type IngestDeps } from '../ingest/index.ts';

export function registerMessagingRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const accept = acceptEnvelopes(deps);
  // A scope of its own: the form parser serves only these routes.
  app.register(async (scope) => {
    await scope.register(formbody);

    // Providers such as Twilio first call without credentials and send the ones of the URL
    // (https://<key>:@host/...) only after a Basic challenge with a realm.
    scope.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode === 401) reply.header('www-authenticate', 'Basic realm="Customer 360", charset="UTF-8"');
      return payload;
    });

    scope.post('/v1/messaging/email-events', async (request, reply) => {
      const body = request.body;
      if (!Array.isArray(body)) {
        return reply.code(400).send({ error: 'bad_request', message: 'send the JSON array of SendGrid events' });
      }
      const records = body.map((item, index) => {
        const mapped = envelopeOfSendGridEvent(item);
        if ('envelope' in mapped) return mapped.envelope;
        const errors = mapped.errors.map((e) => ({ path: `/${index}${e.path === '/' ? '' : e.path}`, message: e.message }));
        return new RejectedRecord(errors, mapped.eventId);
      });
      const answer = await acceptInSlices(records, (slice) => accept(request, slice), deps.maxEventsPerRequest);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });

    scope.post('/v1/messaging/sms', async (request, reply) => {
      const mapped = envelopeOfTwilio(request.body, new Date());
      if ('error' in mapped) return reply.code(400).send({ error: 'bad_request', message: mapped.error });
      const answer = await accept(request, [mapped.envelope]);
      if (answer.status === 200) {
        if (mapped.kind === 'status') return reply.code(204).send();
        return reply.code(200).header('content-type', 'text/xml').send(EMPTY_TWIML);
      }
      // 429 and 503 keep their Retry-After so the provider retries; a rejection says why.
      const error = answer.status === 400 ? 'bad_request' : (answer.body.error ?? 'not_accepted');
      return reply
        .code(answer.status)
        .headers(answer.headers)
        .send({ ...answer.body, error, message: reasonOf(answer) });
    });
  });
}
