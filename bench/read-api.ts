/**
 * `npm run bench:read-api`: the read API on the embedded stack (embedded Postgres, chDB, the
 * embedded log), the product's own runtime (startRuntime with loadConfig) in this process, in
 * three parts:
 *
 * 1. Checkout lookup: `--profiles` people seeded straight into the identity graph (profiles and
 *    identifiers with an email and a phone each, like bench/resolver.ts), their aggregates in
 *    ClickHouse (part 2's seed) and their serving copy in Postgres, written through the summary
 *    store from the warehouse's rows as enrich writes it; then `GET /v1/profiles?email=` and `?phone=` for random seeded
 *    people at a fixed open-loop rate of `--rps` requests per second for `--seconds`, after
 *    `--warmup` seconds, `--runs` times. Each request's latency runs from the time it was
 *    scheduled to the end of its answer, so a stall counts for every request it delays (no
 *    coordinated omission). The client has 64 keep-alive connections; a request that has not
 *    got one `--timeout-ms` after its scheduled time is dropped unsent (infinite latency), so an
 *    overloaded server never holds more than 64 requests and a run ends soon after its time.
 *    Then closed loops of one client (a lookup on an idle server) and of `--concurrency` clients
 *    (the most the server answers), `--capacity-seconds` each. The client is a worker thread
 *    with a keep-alive node:http agent.
 * 2. Segment export: a `--members` segment seeded straight into ClickHouse (profiles,
 *    profile_aggregates with email consent granted for the even half, segments,
 *    segment_membership, INSERT ... SELECT FROM numbers(N)); then
 *    `GET /v1/segments/{id}/members?format=ndjson|csv[&channel=email]` read as a stream and
 *    counted, `--export-runs` times: rows per second, time to the first byte, peak RSS of this
 *    process during the export (the kernel's high-water mark, reset before each export), the
 *    longest stall of the server's event loop.
 * 3. Order to effect: an order_completed for an existing profile (its first order already in
 *    the warehouse, below the segment's threshold) posted through `POST /v1/events`, then the
 *    profile polled until total_revenue and ltv show it and the segment (total_revenue >= 100)
 *    until its member count grows; `--trials` times, once before the warehouse is seeded
 *    (the tenant nearly empty in ClickHouse) and once after (`--members` profiles).
 *
 * Prints a markdown table per part (medians) and, last, one JSON line; progress goes to stderr.
 * Timing is reported, never asserted. Beside each figure: the CPU this process, Postgres and
 * other processes used meanwhile (the machine may be shared). Ctrl-C stops the runtime and
 * removes the data folder. With the defaults a run takes about 4-5 minutes.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { startRuntime, type Runtime } from '../app/runtime.ts';
import { createSummaryStore, NO_AGGREGATES } from '../enrich/summaries.ts';
import type { ProfileAggregates } from '../enrich/aggregate-fields.ts';
import type { Scores } from '../enrich/score-profiles.ts';
import { MemorySampler, Progress, childrenOf, cpuSecondsOf, freePort, machineCpuSeconds, median, mib, num, percentile, seedIdentifiers, sleep } from './util.ts';

const { values } = parseArgs({
  options: {
    profiles: { type: 'string', default: '100000' },
    members: { type: 'string', default: '1000000' },
    rps: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    'export-runs': { type: 'string', default: '1' },
    trials: { type: 'string', default: '5' },
    'timeout-ms': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    'capacity-seconds': { type: 'string', default: '5' },
  },
});
const positive = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number, got "${values[name]}"`);
  return value;
};
const options = {
  profiles: positive('profiles'),
  members: positive('members'),
  rps: positive('rps'),
  seconds: positive('seconds'),
  warmup: Number(values.warmup),
  runs: positive('runs'),
  exportRuns: positive('export-runs'),
  trials: positive('trials'),
  timeoutMs: positive('timeout-ms'),
  concurrency: positive('concurrency'),
  capacitySeconds: positive('capacity-seconds'),
};
if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new Error(`--warmup must be a whole number of seconds, got "${values.warmup}"`);

const TENANT = 'bench';
const API_KEY = 'benchkey';
const EXPORT_SEGMENT = 'export-all';
const EFFECT_SEGMENT = 'spent-100';
/** Sockets of the lookup client: far more than the server needs at the target, a bound when it stalls. */
const MAX_SOCKETS = 64;
/** Pause after a lookup run, so that requests the server still holds from it do not weigh on the next. */
const SETTLE_MS = 3000;
const POLL_MS = 10;
const EFFECT_TIMEOUT_MS = 60_000;

const progress = new Progress();
const cleanups: (() => Promise<void>)[] = [];

/** Longest a cleanup step may take before the next one runs (a runtime whose Postgres already died). */
const CLEANUP_STEP_MS = 20_000;
let cleaning: Promise<void> | null = null;

/** Runs the cleanups, last pushed first, once: every caller waits for the same pass. */
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const cleanup = cleanups.pop()!;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          process.stderr.write(`bench: a cleanup step took more than ${CLEANUP_STEP_MS / 1000} s, going on\n`);
          resolve();
        }, CLEANUP_STEP_MS);
      });
      await Promise.race([cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`)), timeout]);
      clearTimeout(timer);
    }
  })();
  return cleaning;
}

/**
 * Ctrl-C, SIGTERM, or an error nothing handled: stop the runtime, remove the data folder, exit.
 * Ctrl-C reaches the embedded Postgres too (same process group), which then ends its
 * connections; the pool's clients report that as errors nobody listens to, which must not end
 * the process before its data folder is gone.
 */
let interrupted = false;
/** Set once the runtime is stopped and the folder removed after a complete run. */
let finished = false;
function interrupt(why: string, code: number): void {
  if (interrupted) return;
  interrupted = true;
  progress.stop();
  process.stderr.write(`bench: ${why}, stopping the runtime and removing its data\n`);
  void cleanupAll().finally(() => process.exit(code));
}

// ---------------------------------------------------------------------------------------------
// The client: a worker thread, so that building requests and reading answers does not take turns
// with the server on the main thread's event loop (an external client would not).

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const fs = require('node:fs');
const { port, apiKey, profiles, maxSockets } = workerData;
const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
const headers = { authorization: 'Bearer ' + apiKey };

// mulberry32: the same people in every run of a seed.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Half by email, half by phone, in the formats a checkout would send (normalized by the API).
function lookupPaths(count, seed) {
  const random = seeded(seed);
  const paths = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(random() * profiles);
    if (random() < 0.5) {
      paths[k] = '/v1/profiles?email=' + encodeURIComponent('Person' + i + '@Mail.test');
    } else {
      const digits = String(2000000 + (i % 7000000)).padStart(7, '0');
      paths[k] = '/v1/profiles?phone=' + encodeURIComponent('(415) ' + digits.slice(0, 3) + '-' + digits.slice(3));
    }
  }
  return paths;
}

// At its deadline a request still waiting for one of the agent's sockets is dropped, never
// sent; one already sent is waited for and marked late. Abandoning sent requests would not
// spare the server their work, and the agent would open new sockets meanwhile: the server
// would pile up work without bound. So at most maxSockets requests are ever at the server.
function get(path, deadline) {
  return new Promise((resolve) => {
    let settled = false, sent = false, late = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
      response.on('data', () => {});
      response.on('end', () => finish({ status: response.statusCode, late }));
      response.on('error', (error) => finish({ status: 0, late, error: String(error.message) }));
    });
    request.on('socket', () => { sent = true; });
    const timer = setTimeout(() => {
      if (sent) {
        late = true;
        return;
      }
      finish({ status: 0, dropped: true });
      request.destroy();
    }, Math.max(0, deadline - now()));
    request.on('error', (error) => finish({ status: 0, late, error: String(error.message) }));
  });
}

// Open loop: request k is due at start + k / rps whatever happened to the ones before it.
function lookups({ seconds, rps, seed, timeoutMs }) {
  const total = Math.max(1, Math.round(seconds * rps));
  const paths = lookupPaths(total, seed);
  const interval = 1000 / rps;
  const latencies = new Float64Array(total);
  const statuses = {};
  let next = 0, finished = 0, ok = 0, errors = 0, dropped = 0, late = 0, firstError = null, lastOkEnd = 0, maxAnswered = 0, maxLag = 0;
  const start = now() + 20;
  return new Promise((resolve) => {
    const report = setInterval(() => parentPort.postMessage({ type: 'progress', sent: next, finished, errors }), 1000);
    const fire = (k) => {
      const scheduled = start + k * interval;
      maxLag = Math.max(maxLag, now() - scheduled);
      get(paths[k], scheduled + timeoutMs).then((result) => {
        const end = now();
        if (result.dropped) {
          dropped++;
          latencies[k] = Infinity;
        } else {
          if (result.late) late++;
          latencies[k] = end - scheduled;
          maxAnswered = Math.max(maxAnswered, end - scheduled);
          statuses[result.status] = (statuses[result.status] || 0) + 1;
          if (result.status === 200) {
            ok++;
            lastOkEnd = Math.max(lastOkEnd, end);
          } else {
            errors++;
            if (firstError === null) firstError = result.error ? result.error : 'HTTP ' + result.status + ' for ' + paths[k];
          }
        }
        if (++finished === total) {
          clearInterval(report);
          resolve({ total, ok, errors, dropped, late, firstError, statuses, start, lastOkEnd, maxAnswered, maxScheduleLagMs: maxLag, latencies });
        }
      });
    };
    const tick = () => {
      const t = now();
      while (next < total && start + next * interval <= t) fire(next++);
      if (next < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 15);
  });
}

// Closed loop: each of the concurrency clients sends its next request when the last is answered,
// for the given seconds: the most the server answers, and the latency at that load.
async function capacity({ seconds, concurrency, seed }) {
  const paths = lookupPaths(200000, seed);
  const latencies = [];
  let next = 0, ok = 0, errors = 0, firstError = null;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (now() < end) {
      const t = now();
      const result = await get(paths[next++ % paths.length], t + 600000);
      latencies.push(now() - t);
      if (result.status === 200) ok++;
      else {
        errors++;
        if (firstError === null) firstError = result.error || 'HTTP ' + result.status;
      }
    }
  }));
  return { seconds: (now() - start) / 1000, ok, errors, firstError, latencies };
}

function rssNow() {
  return process.memoryUsage.rss();
}

// A streamed export: rows counted as the body arrives; RSS of the process sampled meanwhile.
function exportOnce({ path }) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let firstByte = null, bytes = 0, newlines = 0, peakSampled = rssNow();
    const sampler = setInterval(() => { peakSampled = Math.max(peakSampled, rssNow()); }, 20);
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
      if (response.statusCode !== 200) {
        clearInterval(sampler);
        let text = '';
        response.on('data', (c) => { text += c; });
        response.on('end', () => reject(new Error('GET ' + path + ' answered ' + response.statusCode + ': ' + text.slice(0, 300))));
        return;
      }
      response.on('data', (chunk) => {
        if (firstByte === null) firstByte = now() - t0;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      });
      response.on('end', () => {
        clearInterval(sampler);
        peakSampled = Math.max(peakSampled, rssNow());
        resolve({ seconds: (now() - t0) / 1000, firstByteMs: firstByte, bytes, lines: newlines, peakSampledRss: peakSampled });
      });
      response.on('error', (error) => { clearInterval(sampler); reject(error); });
    });
    request.on('error', (error) => { clearInterval(sampler); reject(error); });
  });
}

parentPort.on('message', (message) => {
  const work = message.type === 'lookups' ? lookups(message) : message.type === 'capacity' ? capacity(message) : exportOnce(message);
  work.then(
    (result) => parentPort.postMessage({ type: 'done', id: message.id, result }, ArrayBuffer.isView(result.latencies) ? [result.latencies.buffer] : []),
    (error) => parentPort.postMessage({ type: 'error', id: message.id, message: String((error && error.stack) || error) }),
  );
});
parentPort.postMessage({ type: 'ready' });
`;

interface LookupResult {
  total: number;
  ok: number;
  errors: number;
  dropped: number;
  late: number;
  firstError: string | null;
  statuses: Record<string, number>;
  start: number;
  lastOkEnd: number;
  maxAnswered: number;
  maxScheduleLagMs: number;
  latencies: Float64Array;
}

interface ExportTransfer {
  seconds: number;
  firstByteMs: number | null;
  bytes: number;
  lines: number;
  peakSampledRss: number;
}

interface CapacityTransfer {
  seconds: number;
  ok: number;
  errors: number;
  firstError: string | null;
  latencies: number[];
}

interface Client {
  capacity(seconds: number, concurrency: number, seed: number): Promise<CapacityTransfer>;
  lookups(seconds: number, rps: number, seed: number, timeoutMs: number, onProgress: (p: { sent: number; finished: number; errors: number }) => void): Promise<LookupResult>;
  exportOnce(path: string): Promise<ExportTransfer>;
  stop(): Promise<void>;
}

async function startClient(port: number): Promise<Client> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port, apiKey: API_KEY, profiles: options.profiles, maxSockets: MAX_SOCKETS } });
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  let onProgress: ((p: { sent: number; finished: number; errors: number }) => void) | null = null;
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { type: string; id?: number; result?: unknown; message?: string; sent?: number; finished?: number; errors?: number }) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'progress') onProgress?.({ sent: message.sent!, finished: message.finished!, errors: message.errors! });
      else if (message.type === 'done') pending.get(message.id!)?.resolve(message.result);
      else if (message.type === 'error') pending.get(message.id!)?.reject(new Error(message.message));
      if (message.id !== undefined) pending.delete(message.id);
    });
    worker.on('error', (error) => {
      reject(error);
      for (const p of pending.values()) p.reject(error);
    });
  });
  const call = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  return {
    lookups(seconds, rps, seed, timeoutMs, progressOf) {
      onProgress = progressOf;
      return call<LookupResult>({ type: 'lookups', seconds, rps, seed, timeoutMs }).finally(() => (onProgress = null));
    },
    exportOnce: (route) => call<ExportTransfer>({ type: 'export', path: route }),
    capacity: (seconds, concurrency, seed) => call<CapacityTransfer>({ type: 'capacity', seconds, concurrency, seed }),
    stop: async () => {
      await worker.terminate();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests of the main thread (part 3): a keep-alive agent of its own.

const mainAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(runtime: Runtime, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = new URL(runtime.url!);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: route,
        method,
        agent: mainAgent,
        headers: { authorization: `Bearer ${API_KEY}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Seeding.

const GIVEN = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen'];
const CITIES = ['Oakland', 'Fresno', 'Austin', 'Denver', 'Boston', 'Seattle', 'Portland', 'Tucson', 'Omaha', 'Raleigh', 'Miami', 'Tulsa'];
const sqlList = (items: string[]) => `[${items.map((s) => `'${s}'`).join(', ')}]`;

/**
 * Person i of the graph: profile md5('p' || i)::uuid with person{i}@mail.test and
 * +1415{2000000 + i}, names and a city as survived traits. The same IDs as the warehouse seed.
 */
async function seedGraph(runtime: Runtime, profiles: number): Promise<number> {
  const pool = runtime.postgres!.pool;
  const started = performance.now();
  const at = Date.now() - 86_400_000;
  for (let from = 0; from < profiles; from += 250_000) {
    const to = Math.min(profiles, from + 250_000) - 1;
    await pool.query(
      `INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, traits)
       SELECT $1, md5('p' || i)::uuid, now() - interval '400 days', now() - interval '1 day', 1,
              jsonb_build_object(
                'first_name', jsonb_build_object('value', ($4::text[])[1 + i % array_length($4::text[], 1)], 'at', $6::bigint, 'source', 'crm'),
                'last_name', jsonb_build_object('value', 'Name' || i, 'at', $6::bigint, 'source', 'crm'),
                'city', jsonb_build_object('value', ($5::text[])[1 + i % array_length($5::text[], 1)], 'at', $6::bigint, 'source', 'crm'))
         FROM generate_series($2::int, $3::int) AS i`,
      [TENANT, from, to, GIVEN, CITIES, at],
    );
    await seedIdentifiers(pool, TENANT, from, to);
    progress.note(`graph: ${num(to + 1)} of ${num(profiles)} profiles`);
  }
  await pool.query('ANALYZE profiles; ANALYZE identifiers');
  return (performance.now() - started) / 1000;
}

/**
 * People `from` to `from + count - 1` as ClickHouse rows (i, id): the profile ID md5('p' || i)
 * as a UUID, the graph seed's IDs. `from` and `count` are SQL (literals or query parameters).
 */
const personIds = (from: string, count: string) =>
  `(SELECT number AS i, toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-', substring(h, 13, 4), '-', substring(h, 17, 4), '-', substring(h, 21, 12))) AS id
    FROM (SELECT number, lower(hex(MD5(concat('p', toString(number))))) AS h FROM numbers(${from}, ${count})))`;

/**
 * The warehouse side of `members` people (the first `--profiles` of them are the graph's): a
 * profile row, an aggregates row (1-4 orders, revenue 10-89, below the effect segment's 100;
 * email consent granted for even i, revoked for odd), and membership of one segment holding
 * them all, each with one INSERT ... SELECT FROM numbers(N).
 */
async function seedWarehouse(runtime: Runtime, members: number): Promise<number> {
  const ch = runtime.clickhouse!;
  const db = ch.database;
  const started = performance.now();
  const ids = personIds('0', '{n:UInt64}');
  const params = { t: TENANT, n: members };
  await ch.client.command({
    query: `INSERT INTO ${db}.profiles (tenant_id, customer360_id, version, created_at, changed_at, primary_email, emails, primary_phone, phones, first_name, last_name, city, country, traits)
            SELECT {t:String}, id, 1, now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL 1 DAY,
                   concat('person', toString(i), '@mail.test'), [concat('person', toString(i), '@mail.test')],
                   concat('+1415', leftPad(toString(2000000 + i % 7000000), 7, '0')), [concat('+1415', leftPad(toString(2000000 + i % 7000000), 7, '0'))],
                   ${sqlList(GIVEN)}[1 + i % ${GIVEN.length}], concat('Name', toString(i)), ${sqlList(CITIES)}[1 + i % ${CITIES.length}], 'US',
                   map('city', ${sqlList(CITIES)}[1 + i % ${CITIES.length}], 'bench', 'export')
            FROM ${ids}`,
    query_params: params,
  });
  progress.note(`warehouse: ${num(members)} profiles`);
  await ch.client.command({
    query: `INSERT INTO ${db}.profile_aggregates (tenant_id, customer360_id, orders_count, total_revenue, average_order_value, net_revenue,
                                                  first_seen_at, last_seen_at, first_purchase_at, last_purchase_at, events_count, interactions_count,
                                                  last_channel, consent, spend_12m, ltv, lifecycle_stage, loyalty_tier, loyalty_points, computed_at)
            SELECT {t:String}, id, orders, revenue, revenue / orders, revenue,
                   now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL (i % 300) DAY, now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL (i % 300) DAY,
                   orders * 3, orders * 3, 'pos', if(i % 2 = 0, map('email', 'granted'), map('email', 'revoked')), revenue, revenue * 1.5,
                   'CUSTOMER', 'BRONZE', toUInt64(revenue), now64(3) - INTERVAL 1 DAY
            FROM (SELECT i, id, toUInt32(1 + i % 4) AS orders, toFloat64(10 + i % 80) AS revenue FROM ${ids})`,
    query_params: params,
  });
  progress.note(`warehouse: ${num(members)} aggregates`);
  await ch.client.insert({
    table: `${db}.segments`,
    format: 'JSONEachRow',
    values: [
      {
        tenant_id: TENANT,
        segment_id: EXPORT_SEGMENT,
        name: 'Everyone seeded by the bench',
        priority: 100,
        rule: JSON.stringify({ all: [{ field: 'traits.bench', op: '=', value: 'export' }] }),
        deleted: false,
        changed_at: new Date(Date.now() - 86_400_000).toISOString().replace('T', ' ').replace('Z', ''),
      },
    ],
  });
  await ch.client.command({
    query: `INSERT INTO ${db}.segment_membership (tenant_id, segment_id, customer360_id, is_member, changed_at)
            SELECT {t:String}, {s:String}, id, true, now64(3) - INTERVAL 1 DAY FROM ${ids}`,
    query_params: { ...params, s: EXPORT_SEGMENT },
  });
  progress.note(`warehouse: ${num(members)} members of segment ${EXPORT_SEGMENT}`);
  return (performance.now() - started) / 1000;
}

/**
 * The serving copy in Postgres of the graph's profiles' aggregates, as enrich writes it: read
 * back from the warehouse and written through the product's summary store, 10,000 at a time.
 */
async function seedSummaries(runtime: Runtime, profiles: number): Promise<number> {
  const ch = runtime.clickhouse!;
  const summaries = createSummaryStore(runtime.postgres!.pool);
  const started = performance.now();
  const page = 10_000;
  for (let from = 0; from < profiles; from += page) {
    const to = Math.min(profiles, from + page);
    const rows = await (
      await ch.client.query({
        query: `SELECT toString(customer360_id) AS customer360_id, ${Object.keys(NO_AGGREGATES).join(', ')}
                FROM ${ch.database}.profile_aggregates FINAL
                WHERE tenant_id = {t:String} AND customer360_id IN (SELECT id FROM ${personIds('{from:UInt64}', '{n:UInt64}')})`,
        query_params: { t: TENANT, from, n: to - from },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<ProfileAggregates & Scores>();
    await summaries.write(TENANT, rows, new Date());
    progress.note(`serving copy: ${num(to)} of ${num(profiles)} profiles`);
  }
  await runtime.postgres!.pool.query('ANALYZE profile_summaries');
  return (performance.now() - started) / 1000;
}

/**
 * After seeding, what a running deployment has long done: Postgres tables vacuumed and analyzed,
 * and chDB's background merges of the million-row inserts finished (at most `SETTLE_MERGES_S`),
 * so they do not share the CPU with the lookups.
 */
const SETTLE_MERGES_S = 120;
async function settleEngines(runtime: Runtime): Promise<void> {
  await runtime.postgres!.pool.query('VACUUM (ANALYZE) profiles, identifiers, profile_summaries, consent_records');
  const ch = runtime.clickhouse!;
  const deadline = Date.now() + SETTLE_MERGES_S * 1000;
  for (;;) {
    const [row] = await (await ch.client.query({ query: 'SELECT toUInt32(count()) AS n FROM system.merges', format: 'JSONEachRow' })).json<{ n: number }>();
    if (!row || Number(row.n) === 0 || Date.now() > deadline) break;
    progress.set(() => `waiting for ${row.n} ClickHouse merge(s) to finish before the lookups`);
    await sleep(1000);
  }
  progress.stop();
}

// ---------------------------------------------------------------------------------------------
// Part 1: checkout lookup.

interface LookupRun {
  requests: number;
  ok: number;
  /** Answers other than 200, and failed connections. */
  errors: number;
  /** Still waiting for one of the client's sockets `--timeout-ms` after their scheduled start: never sent, latency Infinity. */
  dropped: number;
  /** Sent, but answered more than `--timeout-ms` after their scheduled start (their latency counts as measured). */
  late: number;
  firstError: string | null;
  statuses: Record<string, number>;
  /** Answers 200 per second, from the first scheduled start to the last such answer. */
  achievedPerSecond: number;
  /** Percentiles over every scheduled request, Infinity (null in JSON) when it falls on a dropped one. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Slowest answered request. */
  maxAnswered: number;
  /** Largest delay of the client in sending a request after its scheduled time (client health). */
  clientLagMs: number;
  /** Delay of the server's event loop (the main thread: HTTP, Postgres client, chDB calls) beyond its 10 ms timer, p99 and max. */
  loopDelayP99?: number;
  loopDelayMax?: number;
  cpu: CpuShare;
}

interface CpuShare {
  cores: number;
  /** Cores kept busy on average by this process (server, chDB, client worker), its child processes (embedded Postgres) and everything else on the machine. */
  own: number;
  postgres: number;
  others: number;
}

interface CpuMark {
  at: number;
  machine: number;
  own: number;
  children: number;
}

function cpuMark(): CpuMark {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machine: machineCpuSeconds().busy,
    own: (usage.user + usage.system) / 1e6,
    children: childrenOf(process.pid).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
  };
}

function cpuShare(from: CpuMark, to: CpuMark = cpuMark()): CpuShare {
  const wall = (to.at - from.at) / 1000;
  const own = (to.own - from.own) / wall;
  const postgres = Math.max(0, to.children - from.children) / wall;
  return { cores: os.cpus().length, own, postgres, others: Math.max(0, (to.machine - from.machine) / wall - own - postgres) };
}

const cpuText = (c: CpuShare) => `CPU (of ${c.cores} cores): this process ${num(c.own, 2)}, Postgres ${num(c.postgres, 2)}, other processes ${num(c.others, 2)}`;

function summarizeLookups(result: LookupResult, cpu: CpuShare): LookupRun {
  const latencies = Array.from(result.latencies);
  return {
    requests: result.total,
    ok: result.ok,
    errors: result.errors,
    dropped: result.dropped,
    late: result.late,
    firstError: result.firstError,
    statuses: result.statuses,
    achievedPerSecond: result.ok / (Math.max(1, result.lastOkEnd - result.start) / 1000),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
    maxAnswered: result.maxAnswered,
    clientLagMs: result.maxScheduleLagMs,
    cpu,
  };
}

/** Milliseconds, or "> timeout" for a percentile that fell on a timed-out request. */
const ms = (value: number, digits = 1) => (Number.isFinite(value) ? `${num(value, digits)} ms` : `> ${num(options.timeoutMs)} ms`);

interface CapacityRun {
  concurrency: number;
  answersPerSecond: number;
  ok: number;
  errors: number;
  firstError: string | null;
  p50: number;
  p99: number;
  cpu: CpuShare;
}

interface LookupPart {
  warmup: LookupRun | null;
  runs: LookupRun[];
  /** Closed loops: one client (the latency of a lookup on an idle server), then `--concurrency` (the most the server answers). */
  closedLoops: CapacityRun[];
}

async function checkoutLookup(client: Client): Promise<LookupPart> {
  const drive = async (label: string, seconds: number, seed: number) => {
    const total = Math.round(seconds * options.rps);
    const mark = cpuMark();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const result = await client.lookups(seconds, options.rps, seed, options.timeoutMs, (p) =>
      progress.set(() => `lookup ${label}: ${num(p.sent)} sent, ${num(p.finished)} of ${num(total)} done, ${num(p.errors)} errors`),
    );
    const cpu = cpuShare(mark);
    loop.disable();
    progress.stop();
    const r = { ...summarizeLookups(result, cpu), loopDelayP99: loop.percentile(99) / 1e6, loopDelayMax: loop.max / 1e6 };
    progress.note(
      `lookup ${label}: ${num(r.achievedPerSecond)}/s answered, p50 ${ms(r.p50, 2)}, p90 ${ms(r.p90, 2)}, p99 ${ms(r.p99, 2)}, max ${ms(r.max)}, ` +
        `server event loop delay p99 ${ms(r.loopDelayP99, 1)} max ${ms(r.loopDelayMax, 1)}, ` +
        `${num(r.errors)} errors${r.firstError ? ` (first: ${r.firstError})` : ''}, ${num(r.late)} answered after ${num(options.timeoutMs)} ms, ${num(r.dropped)} dropped unsent; ${cpuText(cpu)}`,
    );
    await sleep(SETTLE_MS);
    return r;
  };
  const warmup = options.warmup > 0 ? await drive('warm-up', options.warmup, 1) : null;
  const runs: LookupRun[] = [];
  for (let run = 1; run <= options.runs; run++) runs.push(await drive(`run ${run}/${options.runs}`, options.seconds, 100 + run));
  // Closed loops after the open-loop runs: one client (a lookup on an otherwise idle server),
  // then several (the most the server answers, whatever the latency).
  const closedLoops: CapacityRun[] = [];
  for (const concurrency of [...new Set([1, options.concurrency])]) {
    progress.set(() => `lookup closed loop: ${concurrency} client(s) for ${options.capacitySeconds} s`);
    const mark = cpuMark();
    const c = await client.capacity(options.capacitySeconds, concurrency, 999 + concurrency);
    const r: CapacityRun = {
      concurrency,
      answersPerSecond: c.ok / c.seconds,
      ok: c.ok,
      errors: c.errors,
      firstError: c.firstError,
      p50: percentile(c.latencies, 50),
      p99: percentile(c.latencies, 99),
      cpu: cpuShare(mark),
    };
    closedLoops.push(r);
    progress.stop();
    progress.note(
      `lookup closed loop, ${concurrency} client(s): ${num(r.answersPerSecond, 1)} answers/s, p50 ${ms(r.p50, 1)}, p99 ${ms(r.p99, 1)}, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}; ${cpuText(r.cpu)}`,
    );
  }
  return { warmup, runs, closedLoops };
}

// ---------------------------------------------------------------------------------------------
// Part 2: segment export.

const HWM = /^VmHWM:\s+(\d+) kB/m;
function status(pattern: RegExp): number {
  try {
    const match = pattern.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
/** Resets the kernel's peak RSS of this process to its current RSS (Linux 4.0+); false when it cannot. */
function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

interface ExportRun {
  variant: string;
  rows: number;
  expectedRows: number;
  seconds: number;
  rowsPerSecond: number;
  mibPerSecond: number;
  bytes: number;
  firstByteMs: number;
  rssBefore: number;
  /** Kernel high-water mark of RSS during the export (reset before it), else the sampled peak. */
  peakRss: number;
  peakFrom: 'VmHWM' | 'sampled';
  /** Longest the main thread's event loop (the server) was blocked during the export. */
  eventLoopMaxMs: number;
  cpu: CpuShare;
}

async function segmentExport(client: Client): Promise<ExportRun[]> {
  const consented = Math.ceil(options.members / 2);
  const variants = [
    { variant: 'ndjson', query: 'format=ndjson', header: 0, expected: options.members },
    { variant: 'csv', query: 'format=csv', header: 1, expected: options.members },
    { variant: 'ndjson, channel=email', query: 'format=ndjson&channel=email', header: 0, expected: consented },
    { variant: 'csv, channel=email', query: 'format=csv&channel=email', header: 1, expected: consented },
  ];
  const runs: ExportRun[] = [];
  for (let run = 1; run <= options.exportRuns; run++) {
    for (const v of variants) {
      progress.set(() => `export run ${run}/${options.exportRuns}: ${v.variant}`);
      await sleep(500); // let the previous export's garbage settle a moment
      const rssBefore = process.memoryUsage.rss();
      const reset = resetPeakRss();
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const mark = cpuMark();
      const transfer = await client.exportOnce(`/v1/segments/${EXPORT_SEGMENT}/members?${v.query}`);
      loop.disable();
      const cpu = cpuShare(mark);
      const hwm = status(HWM);
      const peakFromKernel = reset && Number.isFinite(hwm);
      const rows = transfer.lines - v.header;
      const r: ExportRun = {
        variant: v.variant,
        rows,
        expectedRows: v.expected,
        seconds: transfer.seconds,
        rowsPerSecond: rows / transfer.seconds,
        mibPerSecond: transfer.bytes / 1024 / 1024 / transfer.seconds,
        bytes: transfer.bytes,
        firstByteMs: transfer.firstByteMs ?? NaN,
        rssBefore,
        peakRss: peakFromKernel ? Math.max(hwm, transfer.peakSampledRss) : transfer.peakSampledRss,
        peakFrom: peakFromKernel ? 'VmHWM' : 'sampled',
        eventLoopMaxMs: loop.max / 1e6,
        cpu,
      };
      runs.push(r);
      progress.stop();
      progress.note(
        `export run ${run}/${options.exportRuns} ${v.variant}: ${num(rows)} rows${rows === v.expected ? '' : ` (expected ${num(v.expected)})`} in ${num(r.seconds, 2)} s = ${num(r.rowsPerSecond)} rows/s, first byte after ${num(r.firstByteMs)} ms, RSS ${mib(r.rssBefore)} -> peak ${mib(r.peakRss)}, event loop blocked up to ${num(r.eventLoopMaxMs)} ms; ${cpuText(cpu)}`,
      );
    }
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Part 3: order to effect.

interface EffectTrial {
  /** POST /v1/events answered (the order is durable). */
  ackMs: number;
  /** The profile's aggregates show the order: total_revenue and ltv. */
  revenueMs: number;
  /** GET /v1/segments/{id} counts the profile as a member. */
  segmentMs: number;
  profilePolls: number;
  segmentPolls: number;
  /** Median time of one GET /v1/segments/{id} while polling. */
  segmentPollMs: number;
  /** Median time of one GET /v1/profiles?email= while polling. */
  profilePollMs: number;
}

interface EffectResult {
  label: string;
  warehouseProfiles: number;
  segmentCreateMs: number | null;
  trials: EffectTrial[];
  cpu: CpuShare;
}

let eventSeq = 0;
const orderEvent = (nonce: string, email: string, totalMinor: number) => {
  eventSeq++;
  return {
    event_id: `bench-read-${nonce}-${eventSeq}`,
    source: 'pos',
    type: 'order_completed',
    occurred_at: new Date().toISOString(),
    identity: { email },
    properties: { order_id: `bench-read-o-${nonce}-${eventSeq}`, total_minor: totalMinor, currency: 'USD' },
  };
};

async function postEvents(runtime: Runtime, events: unknown[]): Promise<void> {
  const r = await request(runtime, 'POST', '/v1/events', events);
  if (r.status !== 200 || r.body.accepted !== events.length) throw new Error(`POST /v1/events answered ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

async function segmentMembers(runtime: Runtime): Promise<number> {
  const r = await request(runtime, 'GET', `/v1/segments/${EFFECT_SEGMENT}`);
  if (r.status !== 200) throw new Error(`GET /v1/segments/${EFFECT_SEGMENT} answered ${r.status}`);
  return Number(r.body.members);
}

async function ensureEffectSegment(runtime: Runtime): Promise<number | null> {
  const existing = await request(runtime, 'GET', `/v1/segments/${EFFECT_SEGMENT}`);
  if (existing.status === 200) return null;
  const t0 = now();
  const created = await request(runtime, 'POST', '/v1/segments', {
    segment_id: EFFECT_SEGMENT,
    name: 'Spent 100 or more',
    priority: 10,
    rule: { all: [{ field: 'total_revenue', op: '>=', value: 100 }] },
  });
  if (created.status !== 200) throw new Error(`POST /v1/segments answered ${created.status}: ${JSON.stringify(created.body).slice(0, 400)}`);
  return now() - t0;
}

async function orderToEffect(runtime: Runtime, nonce: string, label: string, warehouseProfiles: number): Promise<EffectResult> {
  const mark = cpuMark();
  const segmentCreateMs = await ensureEffectSegment(runtime);
  if (segmentCreateMs !== null) progress.note(`effect (${label}): segment ${EFFECT_SEGMENT} created in ${num(segmentCreateMs)} ms`);
  const ch = runtime.clickhouse!;
  const trials: EffectTrial[] = [];
  for (let k = 1; k <= options.trials; k++) {
    progress.set(() => `effect (${label}) trial ${k}/${options.trials}`);
    const email = `effect-${nonce}-${label.replace(/\W+/g, '')}-${k}@bench.test`;
    const lookup = `/v1/profiles?email=${encodeURIComponent(email)}`;
    // An existing customer: a first order of 50.00, in the warehouse before the measured one.
    await postEvents(runtime, [orderEvent(nonce, email, 5000)]);
    const id = await waitFor(`the first order of ${email}`, EFFECT_TIMEOUT_MS, async () => {
      const r = await request(runtime, 'GET', lookup);
      return r.status === 200 && r.body.aggregates.total_revenue === 50 ? (r.body.customer360_id as string) : null;
    });
    await waitFor(`the warehouse profile of ${email}`, EFFECT_TIMEOUT_MS, async () => {
      const result = await ch.client.query({
        query: `SELECT count() AS n FROM ${ch.database}.profiles WHERE tenant_id = {t:String} AND customer360_id = {id:UUID}`,
        query_params: { t: TENANT, id },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: string | number }>();
      return Number(row?.n ?? 0) > 0 ? true : null;
    });
    await sleep(300); // the enrich batch of the first order finishes its segment recalculation
    const membersBefore = await segmentMembers(runtime);

    // The measured order: 60.00 more, 110.00 in all, over the segment's 100.
    const t0 = now();
    await postEvents(runtime, [orderEvent(nonce, email, 6000)]);
    const ackMs = now() - t0;
    const profilePollTimes: number[] = [];
    const segmentPollTimes: number[] = [];
    const [revenueMs, segmentMs] = await Promise.all([
      waitFor(`the order in the aggregates of ${email}`, EFFECT_TIMEOUT_MS, async () => {
        const p0 = now();
        const r = await request(runtime, 'GET', lookup);
        const end = now();
        profilePollTimes.push(end - p0);
        const a = r.status === 200 ? r.body.aggregates : null;
        return a && a.total_revenue >= 110 - 1e-9 && a.net_revenue >= 110 - 1e-9 && a.ltv >= a.net_revenue ? end - t0 : null;
      }),
      waitFor(`${email} in segment ${EFFECT_SEGMENT}`, EFFECT_TIMEOUT_MS, async () => {
        const p0 = now();
        const members = await segmentMembers(runtime);
        const end = now();
        segmentPollTimes.push(end - p0);
        return members > membersBefore ? end - t0 : null;
      }),
    ]);
    const trial: EffectTrial = {
      ackMs,
      revenueMs,
      segmentMs,
      profilePolls: profilePollTimes.length,
      segmentPolls: segmentPollTimes.length,
      profilePollMs: median(profilePollTimes),
      segmentPollMs: median(segmentPollTimes),
    };
    trials.push(trial);
    progress.stop();
    progress.note(
      `effect (${label}) trial ${k}/${options.trials}: accepted after ${num(ackMs, 1)} ms, revenue and LTV after ${num(revenueMs)} ms, segment after ${num(segmentMs)} ms (one GET /v1/segments/{id} ${num(trial.segmentPollMs, 1)} ms)`,
    );
  }
  return { label, warehouseProfiles, segmentCreateMs, trials, cpu: cpuShare(mark) };
}

// ---------------------------------------------------------------------------------------------

function report(
  seeding: { graphSeconds: number; warehouseSeconds: number },
  lookup: LookupPart,
  exports: ExportRun[],
  effects: EffectResult[],
  memory: MemorySampler,
  wallSeconds: number,
  cpu: CpuShare,
): void {
  const lines: string[] = [''];
  // Resetting the high-water mark for the exports also resets what getrusage reports: take both.
  const peakOwn = Math.max(memory.peakOwn(), ...exports.map((e) => e.peakRss));
  const ml = (f: (r: LookupRun) => number) => median(lookup.runs.map(f));
  lines.push(
    `| checkout lookup, GET /v1/profiles?email= / ?phone=, ${num(options.profiles)} profiles, open loop ${num(options.rps)}/s for ${options.seconds} s | ${lookup.runs.map((_, i) => `run ${i + 1}`).join(' | ')} | median |`,
    `| --- | ${lookup.runs.map(() => '---:').join(' | ')} | ---: |`,
  );
  const row = (name: string, f: (r: LookupRun) => number, format: (v: number) => string) =>
    lines.push(`| ${name} | ${lookup.runs.map((r) => format(f(r))).join(' | ')} | ${format(ml(f))} |`);
  row('achieved rate (answers 200 per second)', (r) => r.achievedPerSecond, (v) => num(v));
  row('p50', (r) => r.p50, (v) => ms(v, 2));
  row('p90', (r) => r.p90, (v) => ms(v, 2));
  row('p99', (r) => r.p99, (v) => ms(v, 2));
  row('max', (r) => r.max, (v) => ms(v));
  row('slowest answered', (r) => r.maxAnswered, (v) => ms(v));
  row('server event loop delay, p99', (r) => r.loopDelayP99 ?? NaN, (v) => ms(v, 1));
  row('server event loop delay, max', (r) => r.loopDelayMax ?? NaN, (v) => ms(v, 1));
  row('errors (answers other than 200, failed connections)', (r) => r.errors, (v) => num(v));
  row(`answered more than ${num(options.timeoutMs)} ms after their scheduled start`, (r) => r.late, (v) => num(v));
  row(`dropped unsent (no free socket of ${MAX_SOCKETS} within ${num(options.timeoutMs)} ms)`, (r) => r.dropped, (v) => num(v));
  lines.push(
    `| CPU cores busy: this process / Postgres / other processes (of ${os.cpus().length}) | ${lookup.runs.map((r) => `${num(r.cpu.own, 2)} / ${num(r.cpu.postgres, 2)} / ${num(r.cpu.others, 2)}`).join(' | ')} | |`,
  );
  lines.push(
    '',
    `| checkout lookup, closed loop (each client sends when answered, ${options.capacitySeconds} s) | ${lookup.closedLoops.map((c) => `${c.concurrency} client${c.concurrency === 1 ? '' : 's'}`).join(' | ')} |`,
    `| --- | ${lookup.closedLoops.map(() => '---:').join(' | ')} |`,
    `| answers 200 per second | ${lookup.closedLoops.map((c) => num(c.answersPerSecond, 1)).join(' | ')} |`,
    `| p50 / p99 | ${lookup.closedLoops.map((c) => `${ms(c.p50, 1)} / ${ms(c.p99, 1)}`).join(' | ')} |`,
    `| errors | ${lookup.closedLoops.map((c) => num(c.errors)).join(' | ')} |`,
    `| CPU cores busy: this process / Postgres / other processes (of ${os.cpus().length}) | ${lookup.closedLoops.map((c) => `${num(c.cpu.own, 2)} / ${num(c.cpu.postgres, 2)} / ${num(c.cpu.others, 2)}`).join(' | ')} |`,
  );
  lines.push('', `Target of the product: p99 under 10 ms at 1,000 requests/s. Latency runs from each request's scheduled start to the end of its answer. The client has ${MAX_SOCKETS} keep-alive connections; a request that has not got one ${num(options.timeoutMs)} ms after its scheduled start is dropped unsent (its latency counts as infinite: "> ${num(options.timeoutMs)} ms"), so an overloaded server holds at most ${MAX_SOCKETS} requests and a run ends soon after its time.`, '');

  const variants = [...new Set(exports.map((e) => e.variant))];
  lines.push(
    `| segment export, ${num(options.members)} members, streamed | rows | rows per second | MiB per second | first byte after | peak RSS of the process (before) | event loop blocked up to |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const v of variants) {
    const rs = exports.filter((e) => e.variant === v);
    const me = (f: (r: ExportRun) => number) => median(rs.map(f));
    const rows = [...new Set(rs.map((r) => r.rows))];
    lines.push(
      `| ${v} | ${rows.map((n) => num(n)).join(' / ')}${rows.length === 1 && rows[0] === rs[0]!.expectedRows ? '' : ` (expected ${num(rs[0]!.expectedRows)})`} | ${num(me((r) => r.rowsPerSecond))} | ${num(me((r) => r.mibPerSecond), 1)} | ${num(me((r) => r.firstByteMs))} ms of ${num(me((r) => r.seconds * 1000))} ms | ${mib(Math.max(...rs.map((r) => r.peakRss)))} (${mib(me((r) => r.rssBefore))}) | ${num(me((r) => r.eventLoopMaxMs))} ms |`,
    );
  }
  lines.push(
    '',
    `Medians of ${options.exportRuns} run(s); peak RSS is the highest of the runs, from the kernel's high-water mark reset before each export (VmHWM), with the median RSS before the export in brackets.`,
    '',
  );

  lines.push(
    `| order to effect (order_completed through POST /v1/events), median of ${options.trials} | ${effects.map((e) => `${e.label} (${num(e.warehouseProfiles)} warehouse profiles)`).join(' | ')} |`,
    `| --- | ${effects.map(() => '---:').join(' | ')} |`,
  );
  const erow = (name: string, f: (t: EffectTrial) => number, digits = 0) =>
    lines.push(`| ${name} | ${effects.map((e) => `${num(median(e.trials.map(f)), digits)} ms`).join(' | ')} |`);
  erow('order accepted (durable)', (t) => t.ackMs, 1);
  erow('revenue and LTV in GET /v1/profiles', (t) => t.revenueMs);
  erow('member of the segment in GET /v1/segments/{id}', (t) => t.segmentMs);
  erow('one GET /v1/segments/{id} (poll)', (t) => t.segmentPollMs, 1);
  erow('one GET /v1/profiles?email= (poll)', (t) => t.profilePollMs, 1);
  lines.push(`| creating the segment (POST /v1/segments) | ${effects.map((e) => (e.segmentCreateMs === null ? 'n/a' : `${num(e.segmentCreateMs)} ms`)).join(' | ')} |`);
  lines.push(`| CPU cores busy: this process / Postgres / other processes (of ${cpu.cores}) | ${effects.map((e) => `${num(e.cpu.own, 2)} / ${num(e.cpu.postgres, 2)} / ${num(e.cpu.others, 2)}`).join(' | ')} |`);
  lines.push(
    '',
    `Polling every ${POLL_MS} ms after the answer of the previous poll; times run from sending the order to the end of the first answer that shows it.`,
    '',
    `| process | |`,
    '| --- | ---: |',
    `| seeding the graph / the warehouse | ${num(seeding.graphSeconds, 1)} s / ${num(seeding.warehouseSeconds, 1)} s |`,
    `| peak RSS of the bench process / with Postgres | ${mib(peakOwn)} / ${mib(Math.max(memory.peakTotal, peakOwn))} |`,
    `| CPU cores busy over the whole bench: this process / Postgres / other processes (of ${cpu.cores}) | ${num(cpu.own, 2)} / ${num(cpu.postgres, 2)} / ${num(cpu.others, 2)} |`,
    `| wall time | ${num(wallSeconds)} s |`,
    '',
    'Engines, client and server share this machine: compare runs on a quiet machine, or read the CPU of other processes beside each figure.',
    '',
  );
  lines.push(
    JSON.stringify({
      bench: 'c360-read-api',
      options,
      machine: { cpus: os.cpus().length, node: process.version },
      seeding,
      lookup: {
        warmup: lookup.warmup,
        runs: lookup.runs,
        closedLoops: lookup.closedLoops,
        median: { achievedPerSecond: ml((r) => r.achievedPerSecond), p50: ml((r) => r.p50), p90: ml((r) => r.p90), p99: ml((r) => r.p99), max: ml((r) => r.max), errors: ml((r) => r.errors) },
      },
      export: {
        runs: exports,
        median: Object.fromEntries(
          variants.map((v) => {
            const rs = exports.filter((e) => e.variant === v);
            return [v, { rowsPerSecond: median(rs.map((r) => r.rowsPerSecond)), firstByteMs: median(rs.map((r) => r.firstByteMs)), seconds: median(rs.map((r) => r.seconds)), peakRss: Math.max(...rs.map((r) => r.peakRss)) }];
          }),
        ),
      },
      effect: effects.map((e) => ({
        ...e,
        median: { ackMs: median(e.trials.map((t) => t.ackMs)), revenueMs: median(e.trials.map((t) => t.revenueMs)), segmentMs: median(e.trials.map((t) => t.segmentMs)) },
      })),
      peakRssOwn: peakOwn,
      peakRssWithChildren: Math.max(memory.peakTotal, peakOwn),
      cpu,
      loadAverage: os.loadavg(),
      wallSeconds,
    }),
    '',
  );
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const startCpu = cpuMark();
  const nonce = randomBytes(3).toString('hex');
  const logger = createLogger('warn', process.stderr);
  const memory = new MemorySampler();
  memory.start();
  const onSignal = () => interrupt('interrupted', 130);
  const onUncaught = (error: unknown) => {
    if (finished) return;
    const code = (error as { code?: string } | null)?.code;
    // 57P01: Postgres ended the connection, as it does when Ctrl-C reaches it.
    if (interrupted || code === '57P01') {
      process.stderr.write(`bench: ${(error as Error)?.message ?? String(error)}\n`);
      interrupt('Postgres stopped (Ctrl-C reaches it too)', 130);
      return;
    }
    process.stderr.write(`bench:read-api failed: ${(error as Error)?.stack ?? String(error)}\n`);
    interrupt('failed', 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-read-api-'));
  // Retried: Postgres may still be writing its last files when Ctrl-C stopped it on its own.
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 }));
  try {
    progress.note(`starting the embedded runtime in ${dataDir}`);
    const config = loadConfig(
      {},
      {
        dataDir,
        port: 0,
        host: '127.0.0.1',
        logLevel: 'warn',
        apiKeys: `${API_KEY}:${TENANT}`,
        embeddedPostgresPort: await freePort(),
      },
    );
    // Registered before it is up: Ctrl-C during start-up waits for the engines, then stops them.
    const starting = startRuntime(config, logger);
    cleanups.push(async () => {
      const started = await starting.catch(() => null);
      if (!started) return;
      await started.stop();
      // chDB binds one data folder per process: let the closed one go before the folder goes.
      const { drainPending } = await import('chdb');
      await drainPending();
    });
    const runtime = await starting;
    cleanups.push(async () => mainAgent.destroy());
    const client = await startClient(Number(new URL(runtime.url!).port));
    cleanups.push(() => client.stop());

    progress.note(`seeding the identity graph with ${num(options.profiles)} profiles`);
    const graphSeconds = await seedGraph(runtime, options.profiles);
    progress.note(`graph seeded in ${num(graphSeconds, 1)} s`);

    // Part 3 first on a warehouse that holds almost nothing of the tenant, again at the end.
    const effects: EffectResult[] = [];
    effects.push(await orderToEffect(runtime, nonce, 'small warehouse', 0));

    progress.note(`seeding the warehouse with ${num(options.members)} profiles, aggregates and segment members`);
    const warehouseSeconds = await seedWarehouse(runtime, options.members);
    progress.note(`warehouse seeded in ${num(warehouseSeconds, 1)} s`);
    const summarySeconds = await seedSummaries(runtime, Math.min(options.profiles, options.members));
    progress.note(`serving copy of ${num(Math.min(options.profiles, options.members))} profiles' aggregates written in ${num(summarySeconds, 1)} s`);

    await settleEngines(runtime);
    // Memory sampling reads /proc of every Postgres process on this thread, tens of ms a second:
    // paused while lookups are timed, with a sample on either side.
    memory.sample();
    memory.stop();
    const lookup = await checkoutLookup(client);
    memory.start();
    const exports = await segmentExport(client);
    effects.push(await orderToEffect(runtime, nonce, 'large warehouse', options.members));

    memory.sample();
    const cpu = cpuShare(startCpu);
    progress.stop();
    await cleanupAll();
    finished = true;
    memory.stop();
    report({ graphSeconds, warehouseSeconds }, lookup, exports, effects, memory, (Date.now() - startedAt) / 1000, cpu);
  } finally {
    progress.stop();
    await cleanupAll();
    memory.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    // Interrupted: the interrupt exits once the cleanup is done.
    if (interrupted) return;
    process.stderr.write(`bench:read-api failed: ${error.stack ?? error.message}\n`);
    void cleanupAll().finally(() => process.exit(1));
  },
);
