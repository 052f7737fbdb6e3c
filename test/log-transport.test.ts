import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTransport } from '../platform/log-transport.ts';
import { migratePostgres, readMigrations } from '../platform/migrate.ts';
import type { InboundMessage, Transport } from '../platform/transport.ts';
import { createTestDatabase, silentLogger, uniqueName, waitFor, type TestDatabase } from './support/engines.ts';

describe('embedded log transport (Postgres)', () => {
  let db: TestDatabase;
  let transport: Transport;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, readMigrations('platform/migrations', 'platform'));
    transport = createLogTransport({ pool: db.pool, partitions: 4, logger: silentLogger(), idlePollMs: 50 });
  });
  afterAll(async () => {
    await transport.close();
    await db.drop();
  });

  const messages = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ key: `person-${(from + i) % 37}`, value: Buffer.from(String(from + i)), headers: { n: String(from + i) } }));

  it('delivers every message once, in order per partition, and resumes from the committed position', async () => {
    const topic = uniqueName('t');
    await transport.ensureTopics([topic]);
    await transport.send([{ topic, messages: messages(1000) }]);
    const seen: InboundMessage[] = [];
    const first = await transport.subscribe({ groupId: 'g1', topics: [topic], maxBatchSize: 100, onBatch: async (b) => void seen.push(...b) });
    await waitFor(async () => seen.length >= 1000, 15_000, "1000 messages");
    await first.stop();
    expect(seen.length).toBe(1000);
    expect(new Set(seen.map((m) => m.value.toString())).size).toBe(1000);
    for (let p = 0; p < 4; p++) {
      const offsets = seen.filter((m) => m.partition === p).map((m) => Number(m.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    // The same key always lands on the same partition.
    const partitionOfKey = new Map<string, number>();
    for (const m of seen) {
      expect(partitionOfKey.get(m.key!) ?? m.partition).toBe(m.partition);
      partitionOfKey.set(m.key!, m.partition);
    }

    await transport.send([{ topic, messages: messages(100, 1000) }]);
    // What the group has not committed: the 100 new messages, spread over the partitions.
    const lag = await transport.lag('g1', [topic]);
    expect(lag.map((l) => l.partition)).toEqual([0, 1, 2, 3]);
    expect(lag.reduce((n, l) => n + l.lag, 0)).toBe(100);
    expect((await transport.lag('never-read', [topic])).reduce((n, l) => n + l.lag, 0)).toBe(1100);
    const resumed: InboundMessage[] = [];
    const second = await transport.subscribe({ groupId: 'g1', topics: [topic], maxBatchSize: 100, onBatch: async (b) => void resumed.push(...b) });
    await waitFor(async () => resumed.length >= 100, 15_000, '100 new messages');
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    expect(resumed.map((m) => Number(m.value.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
    expect((await transport.lag('g1', [topic])).every((l) => l.lag === 0)).toBe(true);
  });

  it('does not commit a batch whose handler failed: it is delivered again', async () => {
    const topic = uniqueName('t');
    await transport.send([{ topic, messages: messages(10) }]);
    let failures = 0;
    const delivered: string[] = [];
    const sub = await transport.subscribe({
      groupId: 'g2',
      topics: [topic],
      maxBatchSize: 100,
      onBatch: async (batch) => {
        if (failures++ === 0) throw new Error('handler failed');
        delivered.push(...batch.map((m) => m.value.toString()));
      },
    });
    await waitFor(async () => delivered.length >= 10, 15_000, 'redelivery');
    await sub.stop();
    expect(delivered.sort()).toEqual(messages(10).map((m) => m.value.toString()).sort());
  });

  it('keeps concurrent appends gap-free: a reader never skips an offset', async () => {
    const topic = uniqueName('t');
    await Promise.all(Array.from({ length: 20 }, (_, i) => transport.send([{ topic, messages: messages(25, i * 25) }])));
    const seen: string[] = [];
    const sub = await transport.subscribe({ groupId: 'g3', topics: [topic], maxBatchSize: 7, onBatch: async (b) => void seen.push(...b.map((m) => m.value.toString())) });
    await waitFor(async () => seen.length >= 500, 15_000, '500 messages');
    await sub.stop();
    expect(new Set(seen).size).toBe(500);
  });
});

describe('embedded log retention', () => {
  it('deletes only what every group of a topic has committed, and keeps topics nobody reads', async () => {
    const db = await createTestDatabase();
    try {
      await migratePostgres(db.pool, readMigrations('platform/migrations', 'platform'));
      const transport = createLogTransport({ pool: db.pool, partitions: 1, logger: silentLogger(), idlePollMs: 50, retentionHours: 0 });
      const read = uniqueName('read');
      const unread = uniqueName('unread');
      const values = (n: number) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(String(i)) }));
      await transport.send([{ topic: read, messages: values(10) }, { topic: unread, messages: values(5) }]);
      let fast = 0;
      const one = await transport.subscribe({ groupId: 'fast', topics: [read], maxBatchSize: 100, onBatch: async (b) => void (fast += b.length) });
      await waitFor(async () => fast === 10, 10_000, 'the fast group');
      await one.stop();
      // A second group that has read only 4 of them holds the rest back.
      await db.pool.query(`INSERT INTO transport_positions (group_id, topic, partition, "offset") VALUES ('slow', $1, 0, 4)`, [read]);
      expect(await transport.trim()).toBe(4);
      const left = await db.pool.query<{ topic: string; n: number }>('SELECT topic, count(*)::int AS n FROM transport_log GROUP BY topic');
      expect(Object.fromEntries(left.rows.map((r) => [r.topic, r.n]))).toEqual({ [read]: 6, [unread]: 5 });
      await transport.close();
    } finally {
      await db.drop();
    }
  });
});
