import type { Codec } from '../schemas/codec.ts';
import type { RawEvent } from '../schemas/types.ts';
import { dlq, ok, type StepResult } from '../platform/result.ts';
import type { InboundMessage } from '../platform/transport.ts';

/** Decodes an Avro raw event; an undecodable or incomplete one is a dead letter. */
export function createParseRawEventStep(codec: Codec) {
  return async function parseRawEventStep(message: InboundMessage): Promise<StepResult<RawEvent>> {
    let event: RawEvent;
    try {
      event = await codec.decode<RawEvent>(message.topic, message.value);
    } catch (error) {
      return dlq('parse-raw-event', `undecodable: ${(error as Error).message}`, error);
    }
    if (!event || typeof event !== 'object') return dlq('parse-raw-event', 'not a record');
    if (!event.tenant_id) return dlq('parse-raw-event', 'tenant_id is empty');
    if (!event.event_id) return dlq('parse-raw-event', 'event_id is empty');
    if (!Number.isFinite(event.occurred_at)) return dlq('parse-raw-event', 'occurred_at is not a time');
    return ok(event);
  };
}
