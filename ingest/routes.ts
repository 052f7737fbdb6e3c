/**
 * Accepting envelopes, for POST /v1/events (api/events.ts) and the connectors (api/segment-spec.ts,
 * api/messaging.ts, api/consent.ts): every record gets its own answer, accepted or rejected with
 * the reasons. Accepted records are durable (acknowledged by Kafka or committed to the embedded
 * log) before the answer is sent; when the transport cannot take them the answer is 503 with
 * Retry-After and nothing is reported accepted.
 */
import type { FastifyRequest } from 'fastify';
import type { Codec } from '../schemas/codec.ts';
import type { Topics } from '../schemas/topics.ts';
import type { RawEvent } from '../schemas/types.ts';
import type { Metrics } from '../platform/metrics.ts';
import { MessageTooLargeError, type OutboundMessage, type TopicMessages, type Transport } from '../platform/transport.ts';
import { validateEnvelope, type FieldError } from './validate-event.ts';

export interface IngestDeps {
  transport: Transport;
  codec: Codec;
  topics: Topics;
  metrics: Metrics;
  maxEventsPerRequest: number;
  /** Events being appended at once across requests; more are refused with 429, not buffered. */
  maxInFlightEvents: number;
  /** Largest event once encoded; a larger one is rejected with the reason. */
  maxMessageBytes: number;
  /** Longest wait for the log's acknowledgement before answering 503. */
  ackTimeoutMs: number;
  defaultRegion: string;
}

type RecordResult =
  | { index: number; event_id?: string; status: 'accepted' }
  | { index: number; event_id?: string; status: 'rejected'; errors: FieldError[] };

/**
 * The message key of a raw event: its tenant. A tenant's events share a partition, so one
 * resolver owns the tenant's identity graph and resolves its events in the order they were
 * accepted (see docs/identity-engine.md); the key holds no personal data.
 */
export function partitionKey(event: RawEvent): string {
  return event.tenant_id;
}

/** A record that a connector already found unusable; its errors go into the answer as they are. */
export class RejectedRecord {
  constructor(
    readonly errors: FieldError[],
    readonly eventId?: string,
  ) {}
}

export interface IngestAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const tooLarge = (why: string): FieldError => ({ path: '/', message: `the event is too large for the event log: ${why}; nothing else of the request is affected. Send it with smaller properties` });

/**
 * Validates, encodes and durably appends envelopes; the answer says per record accepted or
 * rejected with reasons. Shared by POST /v1/events and the connectors.
 */
export function acceptEnvelopes(deps: IngestDeps) {
  let inFlight = 0;

  /**
   * Appends within the acknowledgement timeout. A send that outlives it may still land: the
   * client's retry carries the same event_id, and a resent event counts once.
   */
  async function sendWithin(batches: TopicMessages[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${deps.ackTimeoutMs} ms`)), deps.ackTimeoutMs);
    });
    try {
      await Promise.race([deps.transport.send(batches), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Appends the records and answers those the log refused as too large (a broker whose limit is
   * below C360_MAX_MESSAGE_BYTES): when it refuses the request, each record is sent alone, so the
   * others are accepted and only the large ones rejected. Any other failure throws.
   */
  async function sendAccepted<T extends { topic: string; message: OutboundMessage }>(items: T[]): Promise<T[]> {
    const byTopic = (list: T[]) => {
      const topics = new Map<string, OutboundMessage[]>();
      for (const item of list) {
        const messages = topics.get(item.topic);
        if (messages) messages.push(item.message);
        else topics.set(item.topic, [item.message]);
      }
      return [...topics].map(([topic, messages]) => ({ topic, messages }));
    };
    try {
      await sendWithin(byTopic(items));
      return [];
    } catch (error) {
      if (!(error instanceof MessageTooLargeError)) throw error;
    }
    const refused: T[] = [];
    for (const item of items) {
      await sendWithin(byTopic([item])).catch((error: unknown) => {
        if (!(error instanceof MessageTooLargeError)) throw error;
        refused.push(item);
      });
    }
    return refused;
  }

  return async function accept(request: FastifyRequest, records: unknown[]): Promise<IngestAnswer> {
    if (records.length > deps.maxEventsPerRequest) {
      return {
        status: 413,
        headers: {},
        body: { error: 'payload_too_large', message: `${records.length} events in one request; at most ${deps.maxEventsPerRequest}` },
      };
    }
    const receivedAt = Date.now();
    const results: RecordResult[] = [];
    const accepted: { index: number; event: RawEvent; topic: string; message: OutboundMessage }[] = [];
    for (const [index, record] of records.entries()) {
      if (record instanceof RejectedRecord) {
        results.push({ index, event_id: record.eventId, status: 'rejected', errors: record.errors });
        continue;
      }
      const eventId = record && typeof record === 'object' && typeof (record as { event_id?: unknown }).event_id === 'string' ? (record as { event_id: string }).event_id : undefined;
      const validated = validateEnvelope(record, request.tenantId, receivedAt, request.bodyMayHoldNul !== false);
      if (!validated.ok) {
        results.push({ index, event_id: eventId, status: 'rejected', errors: validated.errors });
        continue;
      }
      const { event } = validated;
      if (request.allowedSources && !request.allowedSources.includes(event.source)) {
        const message = `this API key may not send source "${event.source}"; it may send ${request.allowedSources.join(', ')}`;
        results.push({ index, event_id: eventId, status: 'rejected', errors: [{ path: '/source', message }] });
        continue;
      }
      const topic = deps.topics.raw[event.source];
      let value: Buffer;
      try {
        value = await deps.codec.encode(topic, event);
      } catch (error) {
        results.push({ index, event_id: eventId, status: 'rejected', errors: [{ path: '/', message: (error as Error).message }] });
        continue;
      }
      if (value.length > deps.maxMessageBytes) {
        results.push({ index, event_id: eventId, status: 'rejected', errors: [tooLarge(`${value.length} bytes encoded; this deployment takes at most ${deps.maxMessageBytes} (C360_MAX_MESSAGE_BYTES)`)] });
        continue;
      }
      accepted.push({ index, event, topic, message: { key: partitionKey(event), value, headers: { 'c360-tenant': event.tenant_id } } });
    }
    if (accepted.length > 0) {
      if (inFlight > 0 && inFlight + accepted.length > deps.maxInFlightEvents) {
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { error: 'too_many_requests', message: 'the event log is behind; nothing of this request was accepted, retry it' },
        };
      }
      const appending = accepted.length;
      inFlight += appending;
      try {
        const refused = await sendAccepted(accepted);
        for (const item of refused) {
          accepted.splice(accepted.indexOf(item), 1);
          results.push({ index: item.index, event_id: item.event.event_id, status: 'rejected', errors: [tooLarge(`${item.message.value.length} bytes encoded, more than the event log's broker takes in one message (its message.max.bytes)`)] });
        }
      } catch (error) {
        request.log.warn({ err: error, events: accepted.length }, 'transport unavailable; events not accepted');
        return {
          status: 503,
          headers: { 'retry-after': '2' },
          body: { error: 'unavailable', message: 'the event log is unavailable; nothing of this request was accepted, retry it' },
        };
      } finally {
        inFlight -= appending;
      }
    }
    for (const { index, event } of accepted) results.push({ index, event_id: event.event_id, status: 'accepted' });
    results.sort((a, b) => a.index - b.index);
    for (const r of results) {
      const source = (records[r.index] as { source?: unknown } | null)?.source;
      deps.metrics.ingestEvents.inc({ source: typeof source === 'string' && source.length < 20 ? source : 'unknown', outcome: r.status });
    }
    const rejectedCount = results.length - accepted.length;
    return {
      status: accepted.length === 0 && rejectedCount > 0 ? 400 : 200,
      headers: {},
      body: { accepted: accepted.length, rejected: rejectedCount, results },
    };
  };
}
