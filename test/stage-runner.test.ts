/**
 * The stage runner on the embedded log (real Postgres): a retriable failure retries the batch
 * with backoff and loses nothing; outcomes route outputs, dead letters and drops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTransport } from '../platform/log-transport.ts';
import { createMetrics } from '../platform/metrics.ts';
import { migratePostgres, readMigrations } from '../platform/migrate.ts';
import { runStage, type MessageOutcome, type Stage } from '../platform/stage-runner.ts';
import type { InboundMessage, Transport } from '../platform/transport.ts';
import { deadLetterTopic } from '../schemas/topics.ts';
import { createTestDatabase, silentLogger, uniqueName, waitFor, type TestDatabase } from './support/engines.ts';

describe('stage runner', () => {
  let db: TestDatabase;
  let transport: Transport;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, readMigrations('platform/migrations', 'platform'));
    transport = createLogTransport({ pool: db.pool, partitions: 2, logger: silentLogger(), idlePollMs: 50 });
  });
  afterAll(async () => {
    await transport.close();
    await db.drop();
  });

  async function collect(topic: string, expected: number): Promise<InboundMessage[]> {
    const seen: InboundMessage[] = [];
    const sub = await transport.subscribe({ groupId: uniqueName('reader'), topics: [topic], maxBatchSize: 100, onBatch: async (b) => void seen.push(...b) });
    await waitFor(async () => seen.length >= expected, 15_000, `${expected} messages on ${topic}`);
    await new Promise((r) => setTimeout(r, 200));
    await sub.stop();
    return seen;
  }

  it('retries a batch whose handler fails (a database down) with backoff, then delivers it once', async () => {
    const input = uniqueName('in');
    const output = uniqueName('out');
    await transport.send([{ topic: input, messages: Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: Buffer.from(`m${i}`) })) }]);
    const attempts: number[] = [];
    const stage: Stage = {
      name: 'flaky',
      groupId: uniqueName('flaky'),
      topics: [input],
      async handleBatch(messages) {
        attempts.push(Date.now());
        if (attempts.length <= 3) throw Object.assign(new Error('connection refused'), { retriable: true });
        return messages.map((m) => ({ type: 'ok', outputs: [{ topic: output, key: m.key, value: m.value }] }));
      },
    };
    const metrics = createMetrics();
    const running = await runStage(stage, { transport, logger: silentLogger(), metrics, batchSize: 100, retryInitialMs: 40, retryMaxMs: 400 });
    const out = await collect(output, 20);
    await running.stop();
    expect(out.map((m) => m.value.toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    expect(attempts.length).toBe(4);
    // Backoff doubles from 40 ms; jitter keeps each wait between half and all of its step, so
    // the third wait (step 160 ms) is at least 80 ms. Only lower bounds: a busy machine waits longer.
    const waits = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(waits[0]).toBeGreaterThanOrEqual(18);
    expect(waits[2]).toBeGreaterThanOrEqual(78);
    const counted = (await metrics.registry.getSingleMetric('c360_stage_messages_total')!.get()).values;
    expect(counted.find((v) => v.labels.outcome === 'ok')?.value).toBe(20);
  });

  it('routes outcomes: outputs written, dead letters with their headers, drops counted', async () => {
    const input = uniqueName('in');
    const output = uniqueName('out');
    await transport.send([{ topic: input, messages: ['good', 'bad', 'skip', 'good2'].map((v) => ({ key: v, value: Buffer.from(v), headers: { trace: v } })) }]);
    const stage: Stage = {
      name: 'router',
      groupId: uniqueName('router'),
      topics: [input],
      async handleBatch(messages) {
        return messages.map((m): MessageOutcome => {
          const v = m.value.toString();
          if (v === 'bad') return { type: 'dlq', step: 'check', reason: 'bad value' };
          if (v === 'skip') return { type: 'drop', step: 'check', reason: 'not for us' };
          return { type: 'ok', outputs: [{ topic: output, key: m.key, value: Buffer.from(v.toUpperCase()) }] };
        });
      },
    };
    const metrics = createMetrics();
    const running = await runStage(stage, { transport, logger: silentLogger(), metrics, batchSize: 100, retryInitialMs: 40, retryMaxMs: 400 });
    const out = await collect(output, 2);
    const dead = await collect(deadLetterTopic(input), 1);
    await running.stop();
    expect(out.map((m) => m.value.toString()).sort()).toEqual(['GOOD', 'GOOD2']);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value.toString()).toBe('bad');
    expect(dead[0]!.headers).toMatchObject({ trace: 'bad', 'dlq-reason': 'bad value', 'dlq-step': 'router.check', 'dlq-original-topic': input });
    const counted = (await metrics.registry.getSingleMetric('c360_stage_messages_total')!.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.outcome, v.value]))).toEqual({ ok: 2, dlq: 1, drop: 1 });
  });
});
