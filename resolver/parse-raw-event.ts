import type { Codec } from '../schemas/codec.ts';
import type { RawEvent } from '../schemas/types.ts';
import { EVENT_ID_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH, TENANT_ID_MAX_LENGTH, attributesOf, nulPaths, type FieldError } from '../schemas/event-rules.ts';
import { IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES } from './identifier-types.ts';
import { isRetriable } from '../platform/failures.ts';
import { dlq, ok, type StepResult } from '../platform/result.ts';
import type { InboundMessage } from '../platform/transport.ts';

/** 0000-01-01 to 9999-12-31, the times ingest accepts (and Postgres stores). */
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** The reason of a dead letter for field errors: the first few, each with its path. */
function reasonOf(errors: FieldError[]): string {
  const shown = errors.slice(0, 5).map((e) => `${e.path} ${e.message}`);
  const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
  return `invalid fields: ${shown.join('; ')}${more}`.slice(0, 1000);
}

/**
 * Decodes an Avro raw event and checks it as ingest checks an envelope (schemas/event-rules.ts),
 * since a producer may write to the raw topics directly: traits and properties come out as maps
 * without a prototype, a code trait sent as a number as its text. An undecodable or incomplete
 * event, or one with a value the resolver cannot use (a reserved name, a name that is not text,
 * a value too long, a NUL character), is a dead letter naming the fields.
 */
export function createParseRawEventStep(codec: Codec) {
  return async function parseRawEventStep(message: InboundMessage): Promise<StepResult<RawEvent>> {
    let event: RawEvent;
    try {
      event = await codec.decode<RawEvent>(message.topic, message.value);
    } catch (error) {
      // The schema store down is retried; only the message's own fault makes a dead letter.
      if (isRetriable(error)) throw error;
      return dlq('parse-raw-event', `undecodable: ${(error as Error).message}`, error);
    }
    if (!event || typeof event !== 'object') return dlq('parse-raw-event', 'not a record');
    if (!event.tenant_id) return dlq('parse-raw-event', 'tenant_id is empty');
    if (!event.event_id) return dlq('parse-raw-event', 'event_id is empty');
    if (!Number.isFinite(event.occurred_at)) return dlq('parse-raw-event', 'occurred_at is not a time');

    const errors: FieldError[] = [];
    if (event.tenant_id.length > TENANT_ID_MAX_LENGTH) errors.push({ path: '/tenant_id', message: `must be at most ${TENANT_ID_MAX_LENGTH} characters` });
    if (event.event_id.length > EVENT_ID_MAX_LENGTH) errors.push({ path: '/event_id', message: `must be at most ${EVENT_ID_MAX_LENGTH} characters` });
    if (event.type.length > EVENT_TYPE_MAX_LENGTH) errors.push({ path: '/type', message: `must be at most ${EVENT_TYPE_MAX_LENGTH} characters` });
    if (event.occurred_at < EARLIEST || event.occurred_at > LATEST) errors.push({ path: '/occurred_at', message: 'must be between the years 0000 and 9999' });
    for (const type of IDENTIFIER_TYPE_NAMES) {
      const value = event.identity[type];
      const limit = IDENTIFIER_TYPES[type].maxLength;
      if (value !== null && value !== undefined && value.length > limit) errors.push({ path: `/identity/${type}`, message: `must be at most ${limit} characters` });
    }
    const traits = attributesOf(event.traits, 'traits');
    const properties = attributesOf(event.properties, 'properties');
    errors.push(...traits.errors, ...properties.errors, ...nulPaths(event));
    if (errors.length) return dlq('parse-raw-event', reasonOf(errors));
    return ok({ ...event, traits: traits.value, properties: properties.value });
  };
}
