/**
 * The distributed mode as separate processes, for tests: each service started by
 * `c360 start --services ...` on a Kafka, sharing one test database, one topic prefix and one
 * chDB folder; a steady load of orders whose amounts are known; SQL on the warehouse through the
 * API. Used by the process tests that kill a resolver or the broker under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../scripts/engines/kafka-server.ts';
import { createTestDatabase, uniqueName, waitFor, type TestDatabase } from './engines.ts';

export const PROCESS_KEY = 'key_distributed_0001';

export interface Service {
  name: string;
  child: ChildProcess;
  url: string;
  output: () => string;
}

export interface ProcessCluster {
  prefix: string;
  start(name: string, services: string, extra?: Record<string, string>): Promise<Service>;
  stop(): Promise<void>;
}

export async function startProcessCluster(kafkaBrokers: string): Promise<ProcessCluster> {
  const db: TestDatabase = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-dist-'));
  const prefix = uniqueName('c360dist');
  const clickhouseDatabase = uniqueName('c360_dist');
  const services: Service[] = [];
  const env = (extra: Record<string, string>) => ({
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers,
    DATABASE_URL: db.url,
    C360_API_KEYS: `${PROCESS_KEY}:tenant_d`,
    C360_TOPIC_PREFIX: prefix,
    CLICKHOUSE_DATABASE: clickhouseDatabase,
    C360_DATA_DIR: dataDir,
    SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl'),
    CLICKHOUSE_URL: '',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    C360_RETRY_MAX_MS: '1000',
    ...extra,
  });
  return {
    prefix,
    async start(name, servicesList, extra = {}) {
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
    },
    async stop() {
      const running = services.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
      const exited = running.map((s) => new Promise((r) => s.child.once('exit', r)));
      for (const s of running) s.child.kill('SIGTERM');
      await Promise.all(exited);
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The amount of order n, in the currency's major unit. */
export const orderAmount = (n: number) => (100 + (n % 7) * 25) / 100;

export interface OrderLoad {
  /** Acknowledged event IDs and their order amounts. */
  accepted: Map<string, number>;
  /** Requests refused as a whole: their status and Retry-After. */
  refusals: { status: number; retryAfter: string | null }[];
  stop(): Promise<void>;
}

/**
 * Orders from 50 customers, each order once, posted in batches of 25 by `clients` clients with a
 * pause between batches (steady, not flat out). A refused batch is counted and sent on after a pause.
 */
export function startOrderLoad(ingestUrl: string, clients = 2, pauseMs = 50): OrderLoad {
  const accepted = new Map<string, number>();
  const refusals: OrderLoad['refusals'] = [];
  let next = 0;
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      const batch = Array.from({ length: 25 }, () => {
        const n = next++;
        return {
          event_id: `dist-${n}`,
          source: 'pos',
          type: 'order_completed',
          occurred_at: '2026-03-01T12:00:00Z',
          identity: { email: `customer${n % 50}@mail.test` },
          properties: { order_id: `dist-o-${n}`, total_minor: Math.round(orderAmount(n) * 100), currency: 'USD' },
        };
      });
      const response = await fetch(`${ingestUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${PROCESS_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => null);
      if (response?.status !== 200) {
        refusals.push({ status: response?.status ?? 0, retryAfter: response?.headers.get('retry-after') ?? null });
        await response?.body?.cancel();
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const body = (await response.json()) as { results: { event_id: string; status: string }[] };
      for (const r of body.results) if (r.status === 'accepted') accepted.set(r.event_id, orderAmount(Number(r.event_id.slice(5))));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    accepted,
    refusals,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** The first row of a query on the warehouse, through the API's SQL endpoint. */
export function warehouseSql(apiUrl: string) {
  return async (query: string): Promise<Record<string, unknown>> => {
    const r = await fetch(`${apiUrl}/v1/sql`, { method: 'POST', headers: { authorization: `Bearer ${PROCESS_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = (await r.json()) as { rows: Record<string, unknown>[] };
    return body.rows[0]!;
  };
}

export interface WarehouseCheck {
  acknowledged: number;
  /** Acknowledged and not in the warehouse. */
  lost: number;
  /** In the warehouse though the request was not answered as accepted (sent before a timeout). */
  unacknowledged: number;
  /** Orders counted more than once in the profiles' aggregates. */
  doubled: number;
  profiles: number;
  revenue: number;
  /** The sum of the amounts of the orders in the warehouse. */
  expectedRevenue: number;
}

/**
 * Waits until the warehouse holds every acknowledged event and the aggregates count every order
 * there, then compares: acknowledged events absent, orders applied twice, revenue.
 */
export async function checkWarehouse(apiUrl: string, accepted: Map<string, number>): Promise<WarehouseCheck> {
  const sql = warehouseSql(apiUrl);
  const stored = async () => new Set((await sql('SELECT groupUniqArray(event_id) AS ids FROM events')).ids as string[]);
  await waitFor(async () => {
    const ids = await stored();
    return [...accepted.keys()].every((id) => ids.has(id));
  }, 180_000, 'every acknowledged event in the warehouse').catch(() => undefined);
  const ids = await stored();
  await waitFor(async () => Number((await sql('SELECT sum(orders_count) AS n FROM customer360')).n) >= ids.size, 120_000, 'the aggregates of every order').catch(() => undefined);
  const aggregates = await sql('SELECT sum(orders_count) AS orders, round(sum(total_revenue), 2) AS revenue, count() AS profiles FROM customer360');
  const expectedRevenue = Math.round([...ids].reduce((a, id) => a + orderAmount(Number(id.slice(5))), 0) * 100) / 100;
  return {
    acknowledged: accepted.size,
    lost: [...accepted.keys()].filter((id) => !ids.has(id)).length,
    unacknowledged: [...ids].filter((id) => !accepted.has(id)).length,
    doubled: Number(aggregates.orders) - ids.size,
    profiles: Number(aggregates.profiles),
    revenue: Number(aggregates.revenue),
    expectedRevenue,
  };
}
