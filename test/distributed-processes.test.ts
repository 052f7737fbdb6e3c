/**
 * The distributed mode as separate processes on the tests' Kafka broker, each started by
 * `c360 start --services ...`: ingest (two processes on one port), two resolvers in one consumer
 * group, and enrich with the read API in one process (chDB is embedded). Under a steady load one
 * resolver is killed with SIGKILL: the group rebalances, the other takes its partitions, and
 * afterwards the warehouse holds every acknowledged event once, with the order totals exact.
 * Prints the acknowledged, lost and duplicated counts and the time to recover.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from './support/global-setup.ts';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './support/engines.ts';

const KEY = 'key_distributed_0001';

interface Service {
  name: string;
  child: ChildProcess;
  url: string;
  output: () => string;
}

describe('the distributed mode as processes on Kafka', () => {
  let db: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-dist-'));
  const services: Service[] = [];
  const env = (extra: Record<string, string>) => ({
    ...process.env,
    KAFKA_BROKERS: inject('kafkaBrokers'),
    DATABASE_URL: db.url,
    C360_API_KEYS: `${KEY}:tenant_d`,
    C360_TOPIC_PREFIX: prefix,
    CLICKHOUSE_DATABASE: uniqueName('c360_dist'),
    C360_DATA_DIR: dataDir,
    SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl'),
    CLICKHOUSE_URL: '',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    C360_RETRY_MAX_MS: '1000',
    ...extra,
  });
  const prefix = uniqueName('c360dist');

  async function start(name: string, servicesList: string, extra: Record<string, string> = {}): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/c360.js', 'start', '--services', servicesList], { env: env({ PORT: String(port), ...extra }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${out.slice(-2000)}`);
        return fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
      },
      120_000,
      `${name} answering /healthz`,
    );
    const service = { name, child, url, output: () => out };
    services.push(service);
    return service;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => (s.child.exitCode !== null || s.child.signalCode !== null ? null : new Promise((r) => s.child.once('exit', r)))));
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses and doubles nothing when a resolver is killed under load', async () => {
    const warehouse = await start('enrich+api', 'enrich,api');
    const ingest = await start('ingest', 'ingest', { C360_INGEST_PROCESSES: '2' });
    const resolvers = [await start('resolver A', 'resolver'), await start('resolver B', 'resolver')];
    /** Events a resolver process linked so far, from its own /metrics. */
    const linksOf = async (s: Service) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('c360_resolver_links_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };

    // A steady load of orders from 50 customers, each order once, its amount known.
    const accepted = new Map<string, number>();
    let next = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const batch = Array.from({ length: 25 }, () => {
          const n = next++;
          return {
            event_id: `dist-${n}`,
            source: 'pos',
            type: 'order_completed',
            occurred_at: '2026-03-01T12:00:00Z',
            identity: { email: `customer${n % 50}@mail.test` },
            properties: { order_id: `dist-o-${n}`, total_minor: 100 + (n % 7) * 25, currency: 'USD' },
          };
        });
        const response = await fetch(`${ingest.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
        if (response.status !== 200) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const body = (await response.json()) as { results: { event_id: string; status: string }[] };
        for (const r of body.results) if (r.status === 'accepted') accepted.set(r.event_id, (100 + (Number(r.event_id.slice(5)) % 7) * 25) / 100);
        // Steady, not flat out: about 1,000 events/s from the two clients.
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const load = Promise.all([client(), client()]);
    const sql = async (query: string) => {
      const r = await fetch(`${warehouse.url}/v1/sql`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const body = (await r.json()) as { rows: Record<string, unknown>[] };
      return body.rows[0]!;
    };
    const inWarehouse = async () => Number((await sql('SELECT uniqExact(event_id) AS n FROM events')).n);

    await waitFor(async () => (await inWarehouse()) >= 500, 120_000, 'events through the resolvers before the kill');
    // The tenant's events are one partition: kill the resolver that owns it.
    const before = await Promise.all(resolvers.map(linksOf));
    const victim = before[0]! >= before[1]! ? 0 : 1;
    const survivor = resolvers[1 - victim]!;
    const survivorBefore = before[1 - victim]!;
    resolvers[victim]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = accepted.size;
    await waitFor(async () => (await inWarehouse()) >= atKill + 200, 120_000, 'events resolved after the kill');
    const recoveredAt = Date.now();
    // The other one took the partition over.
    expect(await linksOf(survivor)).toBeGreaterThan(survivorBefore);
    await new Promise((r) => setTimeout(r, 2000));
    stop = true;
    await load;

    const total = accepted.size;
    await waitFor(async () => (await inWarehouse()) >= total, 120_000, 'every acknowledged event in the warehouse');
    const row = await sql('SELECT uniqExact(event_id) AS events, count() AS rows, round(sum(amount), 2) AS revenue FROM (SELECT event_id, any(amount) AS amount FROM events GROUP BY event_id)');
    const expectedRevenue = Math.round([...accepted.values()].reduce((a, b) => a + b, 0) * 100) / 100;
    // Orders counted once per profile in the aggregates, whatever was redelivered.
    await waitFor(
      async () => Number((await sql('SELECT sum(orders_count) AS n FROM customer360')).n) === total,
      120_000,
      'the aggregates of every order',
    );
    const aggregates = await sql('SELECT sum(orders_count) AS orders, round(sum(total_revenue), 2) AS revenue, count() AS profiles FROM customer360');
    const lost = total - Number(row.events);
    const doubled = Number(aggregates.orders) - total;
    process.stdout.write(
      `resolver killed under load: ${total} acknowledged, ${lost} lost, ${doubled} applied twice, ` +
        `${((recoveredAt - killedAt) / 1000).toFixed(1)} s until 200 more events were through the other resolver; ${aggregates.profiles} profiles\n`,
    );
    expect(lost).toBe(0);
    expect(Number(row.revenue)).toBeCloseTo(expectedRevenue, 2);
    expect(Number(aggregates.orders)).toBe(total);
    expect(Number(aggregates.revenue)).toBeCloseTo(expectedRevenue, 2);
    expect(Number(aggregates.profiles)).toBe(50);
  }, 600_000);
});
