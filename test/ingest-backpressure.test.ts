/**
 * Backpressure: while the log is slow, ingest refuses what it cannot take with 429 and
 * Retry-After instead of buffering without limit, and never acknowledges before durable.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const events = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    event_id: `${tag}-${i}`,
    source: 'crm',
    type: 'contact_updated',
    occurred_at: '2026-01-01T00:00:00Z',
    identity: { email: `${tag}${i}@mail.test` },
  }));

/** Holds every partition of the crm topic: appends wait on the lock, as on a stalled log. */
async function holdCrmPartitions(t: TestRuntime): Promise<pg.Client> {
  const blocker = new pg.Client({ connectionString: t.db.url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query("SELECT * FROM transport_partitions WHERE topic LIKE '%.raw.crm' FOR UPDATE");
  return blocker;
}

describe('ingest backpressure (embedded log)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ maxInFlightEvents: 250 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 429 with Retry-After beyond the in-flight bound, and accepts once the log moves', async () => {
    const blocker = await holdCrmPartitions(t);
    try {
      const first = t.request('POST', '/v1/events', KEY_A, events('bp-a', 100));
      const second = t.request('POST', '/v1/events', KEY_A, events('bp-b', 100));
      await new Promise((r) => setTimeout(r, 300));
      const refused = await t.request('POST', '/v1/events', KEY_A, events('bp-c', 100));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.message).toMatch(/retry/);
      // Nothing of the blocked requests is acknowledged while the log holds them.
      const settled = await Promise.race([first.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
      expect(settled).toBe('waiting');
      await blocker.query('COMMIT');
      expect((await first).status).toBe(200);
      expect((await second).body.accepted).toBe(100);
      const retried = await t.request('POST', '/v1/events', KEY_A, events('bp-c', 100));
      expect(retried.status).toBe(200);
      expect(retried.body.accepted).toBe(100);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });
});

describe('ingest acknowledgement timeout (embedded log)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ ingestAckTimeoutMs: 500 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 503 with Retry-After when the log does not acknowledge in time; the retry is counted once', async () => {
    const blocker = await holdCrmPartitions(t);
    let stalled;
    try {
      stalled = await t.request('POST', '/v1/events', KEY_A, events('ack', 10));
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    expect(stalled.status).toBe(503);
    expect(stalled.headers.get('retry-after')).toBe('2');
    expect(stalled.body.message).toMatch(/retry/);
    // The client retries the same events: accepted, and each event is resolved once.
    const retried = await t.request('POST', '/v1/events', KEY_A, events('ack', 10));
    expect(retried.status).toBe(200);
    expect(retried.body.accepted).toBe(10);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=ack3%40mail.test', KEY_A);
      return r.status === 200 && r.body.aggregates.events_count === 1 ? r.body : null;
    }, 20_000, 'the retried event');
    await new Promise((r) => setTimeout(r, 500));
    const again = await t.request('GET', `/v1/profiles/${profile.customer360_id}`, KEY_A);
    expect(again.body.aggregates.events_count).toBe(1);
  });
});
