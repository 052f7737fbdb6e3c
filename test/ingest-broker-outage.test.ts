/**
 * The Kafka broker goes down in the middle of a load (kill -9 of a real broker, started again on
 * the same log folder): every event answered as accepted is in its topic after recovery, and
 * every event not accepted was refused with a status the client can retry on (503 or 429, with
 * Retry-After). Prints the acknowledged, lost and refused counts and the time to recover.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawEvent } from '../schemas/types.ts';
import { startOutageBroker, type OutageBroker } from './support/outage-broker.ts';
import { uniqueName, waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('ingest across a Kafka outage', () => {
  let broker: OutageBroker;
  let t: TestRuntime;

  beforeAll(async () => {
    broker = await startOutageBroker();
    t = await startTestRuntime({ kafkaBrokers: broker.brokers, services: 'ingest', ingestAckTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await t?.stop();
    await broker?.stop();
  });

  it('loses no acknowledged event and refuses the rest with a retriable status', async () => {
    const accepted = new Set<string>();
    const refusals: { status: number; retryAfter: string | null }[] = [];
    let next = 0;
    let stop = false;
    const client = async (c: number) => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => {
          const n = next++;
          return { event_id: `out-${c}-${n}`, source: 'pos', type: 'order_completed', occurred_at: '2026-01-01T00:00:00Z', identity: { email: `o${n}@mail.test` }, properties: { order_id: `o-${c}-${n}`, currency: 'USD', total_minor: 500 } };
        });
        const r = await t.request('POST', '/v1/events', KEY_A, batch);
        if (r.status === 200) {
          for (const x of r.body.results) if (x.status === 'accepted') accepted.add(x.event_id);
        } else {
          refusals.push({ status: r.status, retryAfter: r.headers.get('retry-after') });
        }
      }
    };
    const load = Promise.all([0, 1, 2].map(client));
    await waitFor(async () => accepted.size >= 300, 30_000, 'events before the outage');
    // The broker goes down for longer than the producer's retries and the acknowledgement timeout.
    await broker.down();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 8000));
    const refusedWhileDown = refusals.length;
    await broker.up();
    const upAt = Date.now();
    const afterRecovery = accepted.size;
    await waitFor(async () => accepted.size > afterRecovery, 60_000, 'a first event accepted after the recovery');
    const recoveredAt = Date.now();
    await waitFor(async () => accepted.size >= afterRecovery + 300, 60_000, 'events after the recovery');
    stop = true;
    await load;

    // Refused requests said to retry.
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect([429, 503]).toContain(refusal.status);
      expect(refusal.retryAfter).not.toBeNull();
    }
    // Every acknowledged event is in the topic.
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('verify'), maxWaitTimeInMs: 200 });
    const seen = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topics: [t.runtime.topics.raw.pos], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, topic }) => {
        const event = await t.runtime.codec.decode<RawEvent>(topic, message.value!);
        seen.add(event.event_id);
      },
    });
    try {
      await waitFor(async () => [...accepted].every((id) => seen.has(id)), 60_000, 'every accepted event in the topic');
    } finally {
      await consumer.disconnect();
    }
    const lost = [...accepted].filter((id) => !seen.has(id));
    process.stdout.write(
      `broker outage (${broker.real ? 'Apache Kafka, kill -9 and restart on its log' : 'mock cluster'}): ${accepted.size} acknowledged, ${lost.length} lost, ` +
        `${refusals.length} requests refused (${refusedWhileDown} while down), down ${((upAt - downAt) / 1000).toFixed(1)} s until it answered again, ` +
        `first acceptance ${((recoveredAt - upAt) / 1000).toFixed(1)} s after the broker was back\n`,
    );
    expect(lost).toEqual([]);
  }, 180_000);
});
