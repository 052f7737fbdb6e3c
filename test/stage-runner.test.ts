/**
 * The stage runner on the embedded log (real Postgres): a retriable failure retries the batch
 * with backoff and loses nothing, the stage reporting it meanwhile; a message the stage fails
 * on is found and sent to the dead letters, the others go on in order; outcomes route outputs,
 * dead letters and drops.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../platform/http.ts';
import { createLogTransport } from '../platform/log-transport.ts';
import { createMetrics } from '../platform/metrics.ts';
import { migratePostgres, readMigrations } from '../platform/migrate.ts';
import { stagesHealth } from '../platform/stage-health.ts';
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

  it('finds the messages a stage fails on (not an engine failure), dead-letters exactly them, and lets the others go on in order', async () => {
    const input = uniqueName('in');
    const output = uniqueName('out');
    const values = Array.from({ length: 40 }, (_, i) => (i === 7 || i === 30 ? `poison${i}` : `m${i}`));
    // One key: one partition, so the order of the outputs is the order of the input.
    await transport.send([{ topic: input, messages: values.map((v) => ({ key: 'k', value: Buffer.from(v) })) }]);
    const calls: number[] = [];
    const stage: Stage = {
      name: 'isolate',
      groupId: uniqueName('isolate'),
      topics: [input],
      async handleBatch(messages) {
        calls.push(messages.length);
        // As the resolver did on a trait named "constructor": a TypeError for the whole batch.
        if (messages.some((m) => m.value.toString().startsWith('poison'))) throw new TypeError('list.map is not a function');
        return messages.map((m) => ({ type: 'ok', outputs: [{ topic: output, key: m.key, value: m.value }] }));
      },
    };
    const metrics = createMetrics();
    const running = await runStage(stage, { transport, logger: silentLogger(), metrics, batchSize: 100, retryInitialMs: 40, retryMaxMs: 400 });
    const out = await collect(output, 38);
    const dead = await collect(deadLetterTopic(input), 2);
    await running.stop();
    expect(out.map((m) => m.value.toString())).toEqual(values.filter((v) => !v.startsWith('poison')));
    expect(dead.map((m) => m.value.toString())).toEqual(['poison7', 'poison30']);
    for (const d of dead) {
      expect(d.headers).toMatchObject({ 'dlq-step': 'isolate.handle-batch', 'dlq-reason': 'the stage failed on it: TypeError: list.map is not a function', 'dlq-original-topic': input });
    }
    // Halving: a few calls per poison message, not one per message, and never a retry of the same batch.
    expect(calls.length).toBeLessThan(30);
    expect(running.status()).toMatchObject({ state: 'stopped', attempts: 0 });
    const counted = (await metrics.registry.getSingleMetric('c360_stage_messages_total')!.get()).values;
    expect(Object.fromEntries(counted.map((v) => [v.labels.outcome, v.value]))).toEqual({ ok: 38, dlq: 2 });
  });

  it('reports a stage retrying while Postgres refuses connections, in /healthz (503 degraded) and /metrics, and recovers', async () => {
    // A TCP proxy in front of the test database: down, it drops its connections and refuses new ones.
    const target = new URL(db.url);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const proxied = new URL(db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(port);
    const pool = new pg.Pool({ connectionString: proxied.toString(), max: 2, connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    const down = async () => {
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    };
    const up = () => new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));

    const input = uniqueName('in');
    const output = uniqueName('out');
    const stage: Stage = {
      name: 'reader',
      groupId: uniqueName('reader'),
      topics: [input],
      async handleBatch(messages) {
        const { rows } = await pool.query<{ n: number }>('SELECT $1::int AS n', [messages.length]);
        return messages.map(() => ({ type: 'ok', outputs: [{ topic: output, key: null, value: Buffer.from(String(rows[0]!.n)) }] }));
      },
    };
    const metrics = createMetrics();
    const running = await runStage(stage, { transport, logger: silentLogger(), metrics, batchSize: 100, retryInitialMs: 20, retryMaxMs: 100 });
    const app = createHttpServer({
      logger: silentLogger(),
      metrics,
      apiKeys: [],
      keyStore: null,
      maxBodyBytes: 1024,
      isReady: () => true,
      stages: () => stagesHealth([running], 300),
    });
    const retrying = async () =>
      (await metrics.registry.getSingleMetric('c360_stage_retrying')!.get()).values.find((v) => v.labels.stage === 'reader')?.value;
    try {
      const healthy = await app.inject({ method: 'GET', url: '/healthz' });
      expect(healthy.statusCode).toBe(200);
      expect(healthy.json()).toMatchObject({ status: 'ok', stages: { reader: { state: 'idle', attempts: 0, error: null } } });

      await down();
      await transport.send([{ topic: input, messages: [{ key: 'k', value: Buffer.from('x') }] }]);
      await waitFor(async () => running.status().state === 'retrying' && running.status().attempts >= 3, 15_000, 'the stage to retry');
      expect(running.status().error).toMatch(/ECONNREFUSED|Connection terminated|timeout/);
      expect(await retrying()).toBe(1);
      const degraded = await waitFor(
        async () => {
          const r = await app.inject({ method: 'GET', url: '/healthz' });
          return r.statusCode === 503 ? r : null;
        },
        15_000,
        '/healthz to answer 503',
      );
      expect(degraded.json()).toMatchObject({ status: 'degraded', stages: { reader: { state: 'retrying', error: expect.any(String) } } });
      expect(degraded.json().stages.reader.attempts).toBeGreaterThanOrEqual(3);
      const scraped = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(scraped).toMatch(/c360_stage_retrying\{stage="reader"\} 1/);

      await up();
      const out = await collect(output, 1);
      expect(out.map((m) => m.value.toString())).toEqual(['1']);
      await waitFor(async () => running.status().state === 'idle', 15_000, 'the stage to be idle');
      const recovered = await app.inject({ method: 'GET', url: '/healthz' });
      expect(recovered.statusCode).toBe(200);
      expect(recovered.json()).toMatchObject({ status: 'ok', stages: { reader: { state: 'idle', attempts: 0, error: null } } });
      expect(await retrying()).toBe(0);
      expect(Date.parse(recovered.json().stages.reader.last_progress_at)).toBeGreaterThan(Date.parse(degraded.json().stages.reader.since));
    } finally {
      await running.stop();
      await app.close();
      await pool.end().catch(() => undefined);
      await down().catch(() => undefined);
    }
  });
});
