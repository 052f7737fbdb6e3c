/**
 * `npm run bench:ingest`: events per second through HTTP ingest into Kafka, next to a plain
 * KafkaJS producer sending the same messages to the same broker, measured in the same run.
 *
 * - HTTP: a runtime with `services: 'ingest'` only (no resolver, enrich or read API, so no
 *   Postgres and no ClickHouse; schemas in the in-process store) on a real Apache Kafka broker
 *   (the Kafka test broker where Java is missing).
 *   `--concurrency` clients POST batches of `--batch` events to /v1/events for `--seconds`
 *   after `--warmup` seconds. The clients run in a worker thread (their own event loop and
 *   heap), so building requests and reading answers does not take turns with the server on
 *   the main thread's event loop; they share the machine's cores, as any local client would.
 *   Every request must be answered 200 with every event accepted; anything else is counted.
 * - Raw: a plain KafkaJS producer on the main thread (the server's thread; the HTTP server is
 *   idle meanwhile) with the transport's settings (acks -1, no compression, the default
 *   partitioner) sends the same events to the same topics (4 partitions each) in `send()`s of
 *   `--batch` messages, grouped per topic as ingest groups them, with the same concurrency.
 *   The messages are validated and Avro-encoded once, up front, with the runtime's codec, so
 *   the baseline is the producer alone.
 *
 * A run measures both, alternating which goes first; figures are medians over `--runs`, and the
 * ratio HTTP / raw is taken per run. Throughput counts the events of the requests (sends) that
 * completed within the measured window; latency is that of one request (send). The report is
 * markdown on stdout, then one JSON line; progress goes to stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { CompressionTypes, Kafka, Partitioners, type Producer } from 'kafkajs';
import { demoPeople, type DemoEvent } from '../ingest/demo-data.ts';
import { seededRandom } from '../platform/random.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger, kafkaLogCreator, type Logger } from '../platform/logger.ts';
import { startRuntime, type Runtime } from '../app/runtime.ts';
import { allTopics, topicNames } from '../schemas/topics.ts';
import { brokerBinary } from '../scripts/engines/test-broker.ts';
import { startBenchBroker } from './bench-broker.ts';
import { encodeBaselineMessages } from './baselines.ts';
import { batchesOf, distinctPhone } from './events.ts';
import { now } from './load.ts';
import {
  MemorySampler,
  Progress,
  childRunning,
  childrenOf,
  cpuSecondsOf,
  machineCpuSeconds,
  median,
  mib,
  num,
  percentile,
  sleep,
  threadsOf,
} from './util.ts';

/** Distinct events sent over and over (HTTP requests get fresh event IDs each time). */
const POOL_EVENTS = 20_000;
const PARTITIONS = 4;
const TARGET_EVENTS_PER_SECOND = 30_000;
const TARGET_RATIO = 0.5;
/** Stands for the request's own prefix in the event IDs of a request body. */
const PLACEHOLDER = '@@request@@';

interface Options {
  runs: number;
  seconds: number;
  warmup: number;
  concurrency: number;
  batch: number;
  processes: number;
}

const USAGE = `usage: tsx bench/ingest.ts [--runs 3] [--seconds 20] [--warmup 3] [--concurrency 8] [--batch 100] [--processes 1]
  --runs         runs; each measures HTTP and raw KafkaJS, alternating which goes first
  --seconds      measured seconds of each measure
  --warmup       seconds sent before each measured window, not counted
  --concurrency  concurrent HTTP clients, and concurrent KafkaJS sends
  --batch        events per POST /v1/events, and messages per KafkaJS send
  --processes    ingest processes serving HTTP (default 2, one per core of a 2-core machine): more
                 than 1 runs \`c360 start --services ingest\` with C360_INGEST_PROCESSES as a
                 child process; 1 measures the runtime in this process`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '8' },
      batch: { type: 'string', default: '100' },
      processes: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: 'runs' | 'seconds' | 'warmup' | 'concurrency' | 'batch' | 'processes', min: number, max: number, integer = true) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${values[name]}"`);
    }
    return value;
  };
  return {
    runs: number('runs', 1, 100),
    seconds: number('seconds', 1, 3600, false),
    warmup: number('warmup', 0, 600, false),
    concurrency: number('concurrency', 1, 1000),
    batch: number('batch', 1, 100_000),
    processes: number('processes', 1, 64),
  };
}

// ---------------------------------------------------------------------------------------------
// Events

/** The mix of event types: each source system's everyday event. */
const MIX = [
  { source: 'web', type: 'page_viewed', share: 0.35 },
  { source: 'pos', type: 'order_completed', share: 0.25 },
  { source: 'crm', type: 'contact_updated', share: 0.2 },
  { source: 'messaging', type: 'message_opened', share: 0.2 },
] as const;

const PRODUCTS = ['Trail Runner 2', 'Merino Tee', 'Rain Shell', 'Canvas Tote', 'Water Bottle', 'Wool Socks', 'Day Pack', 'Sun Cap'];
const CITIES = ['San Francisco', 'Oakland', 'Berkeley', 'San Jose', 'New York', 'Chicago', 'Boston', 'Seattle'];
const STAGES = ['LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER'];
const TAGS = ['newsletter', 'vip', 'loyalty', 'wholesale', 'outdoor'];

/**
 * `count` envelopes of `count`/4 people in the shares of MIX, valid for POST /v1/events, every
 * one with identifiers (email, phone, a source-system or anonymous ID, often an auth user ID),
 * written the way each system writes them. The same seed gives the same events.
 */
function ingestEvents(count: number, seed = 3601): DemoEvent[] {
  const random = seededRandom(seed);
  const people = demoPeople(Math.max(1, Math.ceil(count / 4)), seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const events: DemoEvent[] = [];
  for (let i = 0; i < count; i++) {
    const p = people[Math.floor(random() * people.length)]!;
    const d = distinctPhone(p.index);
    const occurredAt = new Date(Date.UTC(2026, 1, 1) + Math.floor(random() * 30 * 86_400_000)).toISOString();
    let roll = random();
    const kind = MIX.find((m) => (roll -= m.share) < 0) ?? MIX[0];
    const id = `${i}-${kind.source}`;
    switch (kind.type) {
      case 'page_viewed': {
        const product = Math.floor(random() * 400);
        events.push({
          event_id: id,
          source: 'web',
          type: 'page_viewed',
          occurred_at: occurredAt,
          identity: { email: p.email, anonymous_id: `anon-${p.index.toString(36)}-${(p.index * 7919).toString(36)}`, ...(p.authUserId ? { auth_user_id: p.authUserId } : {}) },
          properties: {
            url: `https://shop.example.com/products/p-${product}?utm_source=newsletter`,
            path: `/products/p-${product}`,
            title: `${pick(PRODUCTS)} | Example Shop`,
          },
        });
        break;
      }
      case 'order_completed': {
        const lines = 1 + Math.floor(random() * 3);
        const lineItems = Array.from({ length: lines }, () => {
          const quantity = 1 + Math.floor(random() * 3);
          const unit = 500 + Math.floor(random() * 9500);
          const sku = Math.floor(random() * 400);
          return { sku: `SKU-${sku}`, name: PRODUCTS[sku % PRODUCTS.length]!, quantity, unit_price_minor: unit, total_minor: unit * quantity };
        });
        events.push({
          event_id: id,
          source: 'pos',
          type: 'order_completed',
          occurred_at: occurredAt,
          identity: { email: p.email.toUpperCase(), phone: `+1 ${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, source_record_id: `POS-${p.index}` },
          traits: { first_name: p.firstName.toUpperCase() },
          properties: {
            order_id: `ord-${seed}-${i}`,
            store_id: `SF-0${1 + (p.index % 4)}`,
            currency: 'USD',
            total_minor: lineItems.reduce((sum, l) => sum + l.total_minor, 0),
            payment_method: 'card',
            line_items: lineItems,
          },
        });
        break;
      }
      case 'contact_updated':
        events.push({
          event_id: id,
          source: 'crm',
          type: 'contact_updated',
          occurred_at: occurredAt,
          identity: { email: `  ${p.email} `, phone: `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, source_record_id: `CRM-${10000 + p.index}` },
          traits: { first_name: p.firstName, last_name: p.lastName, city: CITIES[p.index % CITIES.length]!, country: 'US', postal_code: String(94000 + (p.index % 1000)) },
          properties: { lifecycle_stage: pick(STAGES), tags: [pick(TAGS), pick(TAGS)], owner: `rep-${p.index % 12}` },
        });
        break;
      case 'message_opened':
        events.push({
          event_id: id,
          source: 'messaging',
          type: 'message_opened',
          occurred_at: occurredAt,
          identity: { email: p.email, phone: d, source_record_id: `MSG-${p.index}` },
          properties: { channel: 'email', campaign_id: `spring-sale-${1 + (i % 6)}`, message_id: `sg-${seed}-${i}` },
        });
        break;
    }
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Measures

/** What one measure (HTTP or raw, one window) saw. */
interface Measured {
  /** Events accepted (HTTP) or acknowledged (raw) by requests completed within the window. */
  events: number;
  requests: number;
  seconds: number;
  eventsPerSecond: number;
  /** Milliseconds of each request completed within the window. */
  latencies: number[];
  p50Ms: number;
  p99Ms: number;
  /** Events answered rejected in a 200 (HTTP). */
  rejected: number;
  status429: number;
  status503: number;
  /** Other statuses, and requests (sends) that failed without an answer. */
  otherFailures: number;
  firstProblem: string | null;
  usage: Usage;
}

/** CPU during the window. */
interface Usage {
  /** Event-loop utilization of the main thread (the server, or the raw producer): wall time not idle. */
  mainThreadElu: number;
  /** Event-loop utilization of the HTTP client thread (HTTP only). */
  clientThreadElu: number | null;
  /** Cores (CPU seconds per second) used by the main thread, the HTTP client thread, this whole
   * process (every thread: also GC helpers), the broker, and every other process of the machine. */
  mainThreadCores: number;
  clientThreadCores: number;
  processCores: number;
  brokerCores: number;
  otherCores: number;
  /** Main-thread CPU per event counted, in microseconds (set by finish()). */
  mainThreadMicrosPerEvent: number;
}

/** Where CPU time is read: the broker process and the HTTP client thread. */
interface Probe {
  brokerPid: number | null;
  clientThreads: number[];
  /** With --processes: the processes of the `c360 start` serving HTTP (primary and workers). */
  serverPids: () => number[];
}

interface Snapshot {
  at: number;
  elu: EventLoopUtilization;
  cpu: NodeJS.CpuUsage;
  mainThread: number;
  server: number;
  clientThreads: number;
  broker: number;
  machine: { busy: number; total: number };
}

function snapshot(probe: Probe): Snapshot {
  return {
    at: now(),
    elu: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    mainThread: cpuSecondsOf(process.pid, process.pid),
    server: probe.serverPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    clientThreads: probe.clientThreads.reduce((sum, tid) => sum + cpuSecondsOf(process.pid, tid), 0),
    broker: probe.brokerPid ? cpuSecondsOf(probe.brokerPid) : NaN,
    machine: machineCpuSeconds(),
  };
}

function usageBetween(a: Snapshot, b: Snapshot, clientThreadElu: number | null): Usage {
  const seconds = (b.at - a.at) / 1000;
  const processSeconds = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1e6;
  const brokerSeconds = b.broker - a.broker;
  const machineSeconds = b.machine.busy - a.machine.busy;
  const serverSeconds = b.server - a.server;
  return {
    mainThreadElu: performance.eventLoopUtilization(b.elu, a.elu).utilization,
    clientThreadElu,
    // With --processes the server is the processes of `c360 start`: their CPU counts as the server's.
    mainThreadCores: (serverSeconds > 0 ? serverSeconds : b.mainThread - a.mainThread) / seconds,
    clientThreadCores: (b.clientThreads - a.clientThreads) / seconds,
    processCores: processSeconds / seconds,
    brokerCores: brokerSeconds / seconds,
    otherCores: Math.max(0, (machineSeconds - processSeconds - brokerSeconds - serverSeconds) / seconds),
    mainThreadMicrosPerEvent: NaN,
  };
}

/** Snapshots at the start and the end of the measured window, taken on the main thread. */
function windowSnapshots(window: Window, probe: Probe) {
  let first: Snapshot | null = null;
  let last: Snapshot | null = null;
  const t1 = setTimeout(() => (first = snapshot(probe)), Math.max(0, window.startAt + window.warmupMs - now()));
  const t2 = setTimeout(() => (last = snapshot(probe)), Math.max(0, window.startAt + window.warmupMs + window.windowMs - now()));
  return {
    usage(clientThreadElu: number | null): Usage {
      clearTimeout(t1);
      clearTimeout(t2);
      const a = first ?? snapshot(probe);
      const b = last ?? snapshot(probe);
      return usageBetween(a, b, clientThreadElu);
    },
  };
}

interface Window {
  startAt: number;
  warmupMs: number;
  windowMs: number;
}

/** Live counters of the measure under way, for the progress line. */
interface Live {
  what: string;
  window: Window;
  /** Events counted in the window so far. */
  inWindow: () => number;
}

// The HTTP clients. Plain JavaScript, evaluated as a CommonJS worker.
const CLIENT_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { url, apiKey, templates, placeholder, batch } = workerData;
const http = require('node:http');
// node:http with keep-alive: a lighter client than fetch, so that the load generator, which
// shares the machine's cores with the server, takes as little CPU as it can.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const target = new URL(url + '/v1/events');
function post(body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
        headers: { authorization: 'Bearer ' + apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
/** The counts at the start of an answer, {"accepted":N,"rejected":M,...}; the whole answer is read only when something was rejected. */
const HEAD = /^\{"accepted":(\d+),"rejected":(\d+),/;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const parts = templates.map((t) => t.split(placeholder));
let sequence = 0;

async function measure({ tag, startAt, warmupMs, windowMs, clients }) {
  const from = startAt + warmupMs;
  const until = from + windowMs;
  const latencies = [];
  let events = 0, requests = 0, rejected = 0, status429 = 0, status503 = 0, otherFailures = 0, firstProblem = null;
  let eluStart = null, eluEnd = null;
  const t1 = setTimeout(() => (eluStart = performance.eventLoopUtilization()), Math.max(0, from - now()));
  const t2 = setTimeout(() => (eluEnd = performance.eventLoopUtilization()), Math.max(0, until - now()));
  const progress = setInterval(() => parentPort.postMessage({ type: 'progress', inWindow: events }), 500);
  const problem = (text) => { if (firstProblem === null) firstProblem = text; };
  async function client() {
    while (now() < until) {
      const n = sequence++;
      const body = parts[n % parts.length].join(tag + '-' + n);
      const started = now();
      let status, text;
      try {
        ({ status, text } = await post(body));
      } catch (error) {
        otherFailures++;
        problem('request failed: ' + (error && error.cause ? error.cause.message : error && error.message));
        await sleep(100);
        continue;
      }
      const ended = now();
      const counted = ended >= from && ended <= until;
      if (status === 200) {
        const head = HEAD.exec(text);
        const answer = head && Number(head[2]) === 0 ? { accepted: Number(head[1]), rejected: 0 } : JSON.parse(text);
        if (answer.rejected > 0 || answer.accepted !== batch) {
          if (counted) rejected += answer.rejected;
          problem('200 with ' + answer.rejected + ' rejected, e.g. ' + JSON.stringify(answer.results.find((r) => r.status === 'rejected')));
        }
        if (counted) {
          events += answer.accepted;
          requests++;
          latencies.push(ended - started);
        }
        continue;
      }
      if (status === 429) status429++;
      else if (status === 503) status503++;
      else otherFailures++;
      problem(status + ': ' + text.slice(0, 400));
      // Back off a little, as a client honouring Retry-After would, without idling the bench.
      await sleep(status === 429 || status === 503 ? 50 : 200);
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  clearInterval(progress);
  clearTimeout(t1);
  clearTimeout(t2);
  const elu = eluStart && eluEnd ? performance.eventLoopUtilization(eluEnd, eluStart).utilization : null;
  return { events, requests, latencies, rejected, status429, status503, otherFailures, firstProblem, clientThreadElu: elu };
}

parentPort.on('message', (message) => {
  if (message.type !== 'measure') return;
  measure(message).then(
    (result) => parentPort.postMessage({ type: 'done', result }),
    (error) => parentPort.postMessage({ type: 'error', message: String((error && error.stack) || error) }),
  );
});
parentPort.postMessage({ type: 'ready' });
`;

type ClientResult = Omit<Measured, 'seconds' | 'eventsPerSecond' | 'p50Ms' | 'p99Ms' | 'usage'> & { clientThreadElu: number | null };

class HttpClients {
  private inWindow = 0;
  private pending: { resolve: (r: ClientResult) => void; reject: (e: Error) => void } | null = null;

  private constructor(
    private readonly worker: Worker,
    /** Thread IDs of the worker (Linux), for its CPU time. */
    readonly threads: number[],
  ) {
    worker.on('message', (message: { type: string; inWindow?: number; result?: ClientResult; message?: string }) => {
      if (message.type === 'progress') this.inWindow = message.inWindow!;
      else if (message.type === 'done') this.settle((p) => p.resolve(message.result!));
      else if (message.type === 'error') this.settle((p) => p.reject(new Error(message.message)));
    });
    worker.on('error', (error) => this.settle((p) => p.reject(error)));
  }

  private settle(f: (p: NonNullable<HttpClients['pending']>) => void): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) f(pending);
  }

  /** Starts the worker with the request bodies: JSON of each batch, event IDs left to fill in. */
  static async start(options: { url: string; apiKey: string; batches: DemoEvent[][]; batch: number }): Promise<HttpClients> {
    const templates = options.batches.map((events) => JSON.stringify(events.map((e, i) => ({ ...e, event_id: `${PLACEHOLDER}-${i}` }))));
    const before = new Set(threadsOf(process.pid));
    const worker = new Worker(CLIENT_SOURCE, {
      eval: true,
      workerData: { url: options.url, apiKey: options.apiKey, templates, placeholder: PLACEHOLDER, batch: options.batch },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { type: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`HTTP client thread: ${JSON.stringify(m)}`))));
      worker.once('error', reject);
    });
    return new HttpClients(
      worker,
      threadsOf(process.pid).filter((tid) => !before.has(tid)),
    );
  }

  async measure(tag: string, window: Window, concurrency: number, probe: Probe, live: (l: Live) => void): Promise<Measured> {
    this.inWindow = 0;
    const snapshots = windowSnapshots(window, probe);
    live({ what: 'HTTP', window, inWindow: () => this.inWindow });
    const result = await new Promise<ClientResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: 'measure', tag, ...window, clients: concurrency });
    });
    return finish(result, window, snapshots.usage(result.clientThreadElu));
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function finish(result: ClientResult, window: Window, usage: Usage): Measured {
  const seconds = window.windowMs / 1000;
  const { clientThreadElu: _elu, ...counts } = result;
  return {
    ...counts,
    seconds,
    eventsPerSecond: result.events / seconds,
    p50Ms: percentile(result.latencies, 50),
    p99Ms: percentile(result.latencies, 99),
    usage: { ...usage, mainThreadMicrosPerEvent: result.events > 0 ? (usage.mainThreadCores * seconds * 1e6) / result.events : NaN },
  };
}

/** KafkaJS sendBatch arguments, built once. */
type RawBatch = { topic: string; messages: { key: string | null; value: Buffer; headers?: Record<string, string> }[] }[];

async function measureRaw(producer: Producer, batches: RawBatch[], window: Window, concurrency: number, probe: Probe, live: (l: Live) => void): Promise<Measured> {
  const from = window.startAt + window.warmupMs;
  const until = from + window.windowMs;
  const snapshots = windowSnapshots(window, probe);
  const latencies: number[] = [];
  let events = 0;
  let requests = 0;
  let otherFailures = 0;
  let firstProblem: string | null = null;
  let next = 0;
  live({ what: 'KafkaJS', window, inWindow: () => events });
  const sender = async () => {
    while (now() < until) {
      const topicMessages = batches[next++ % batches.length]!;
      const started = now();
      try {
        await producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None });
      } catch (error) {
        otherFailures++;
        firstProblem ??= `send failed: ${(error as Error).message}`;
        await sleep(100);
        continue;
      }
      const ended = now();
      if (ended >= from && ended <= until) {
        events += topicMessages.reduce((n, t) => n + t.messages.length, 0);
        requests++;
        latencies.push(ended - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const result: ClientResult = { events, requests, latencies, rejected: 0, status429: 0, status503: 0, otherFailures, firstProblem, clientThreadElu: null };
  return finish(result, window, snapshots.usage(null));
}

// ---------------------------------------------------------------------------------------------
// Report

interface Run {
  order: ('http' | 'raw')[];
  http: Measured;
  raw: Measured;
  ratio: number;
}

function markdownTable(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (rightAligned[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

const perSecond = (v: number) => num(v);
const ms = (v: number) => `${num(v, 1)} ms`;
const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const cores = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const us = (v: number) => `${num(v, 1)} µs`;
const failures = (m: Measured) => m.rejected + m.status429 + m.status503 + m.otherFailures;

interface ReportInput {
  options: Options;
  runs: Run[];
  jsonBytesPerEvent: number;
  avroBytesPerEvent: number;
  memory: MemorySampler;
  wallSeconds: number;
  notes: string[];
}

function report(input: ReportInput): boolean {
  const { options, runs } = input;
  const m = (f: (r: Run) => number) => median(runs.map(f));
  const httpRate = m((r) => r.http.eventsPerSecond);
  const rawRate = m((r) => r.raw.eventsPerSecond);
  const medianRatio = m((r) => r.ratio);
  const cpus = os.cpus();
  const out: string[] = [];
  const command = `npm run bench:ingest -- --runs ${options.runs} --seconds ${options.seconds} --warmup ${options.warmup} --concurrency ${options.concurrency} --batch ${options.batch}`;
  out.push('');
  out.push('## Ingest benchmark: POST /v1/events into Kafka, beside raw KafkaJS');
  out.push('');
  out.push(`- command: \`${command}\``);
  out.push(`- machine: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, ${mib(os.totalmem())}, ${os.type()} ${os.release()}, Node ${process.version}`);
  out.push(
    `- events: ${MIX.map((x) => `${x.source} ${x.type} ${Math.round(x.share * 100)} %`).join(', ')}; ` +
      `~${num(input.jsonBytesPerEvent)} B JSON and ~${num(input.avroBytesPerEvent)} B Avro per event; ${num(POOL_EVENTS)} distinct events, fresh event IDs per HTTP request`,
  );
  out.push(
    `- each measure: ${options.concurrency} concurrent senders x ${options.batch} events per request, ${num(options.warmup, 1)} s warm-up then ${num(options.seconds, 1)} s measured; ` +
      `HTTP and KafkaJS alternate which goes first; ${runs.length === 1 ? '1 run' : `medians of ${runs.length} runs`}`,
  );
  out.push(
    `- HTTP: runtime with services=ingest only (no Postgres, no ClickHouse, in-process schema store) on the ${brokerName}; ` +
      'load generator in a worker thread of this process (node:http, keep-alive), server on the main thread',
  );
  out.push(
    `- KafkaJS: a plain producer on the main thread, same broker, topics (${PARTITIONS} partitions), acks -1, no compression, default partitioner; ` +
      'messages validated and Avro-encoded once up front with the runtime codec, grouped per topic as ingest sends them',
  );
  for (const note of input.notes) out.push(`- ${note}`);
  out.push('');
  const rows: string[][] = [['run', 'first', 'HTTP ev/s', 'HTTP p50', 'HTTP p99', 'KafkaJS ev/s', 'KafkaJS p50', 'KafkaJS p99', 'HTTP / KafkaJS', 'HTTP failures']];
  runs.forEach((r, i) =>
    rows.push([
      String(i + 1),
      r.order[0] === 'http' ? 'HTTP' : 'KafkaJS',
      perSecond(r.http.eventsPerSecond),
      ms(r.http.p50Ms),
      ms(r.http.p99Ms),
      perSecond(r.raw.eventsPerSecond),
      ms(r.raw.p50Ms),
      ms(r.raw.p99Ms),
      ratio(r.ratio),
      num(failures(r.http)),
    ]),
  );
  rows.push([
    runs.length === 1 ? 'result' : 'median',
    '',
    perSecond(httpRate),
    ms(m((r) => r.http.p50Ms)),
    ms(m((r) => r.http.p99Ms)),
    perSecond(rawRate),
    ms(m((r) => r.raw.p50Ms)),
    ms(m((r) => r.raw.p99Ms)),
    ratio(medianRatio),
    num(runs.reduce((n, r) => n + failures(r.http), 0)),
  ]);
  out.push(markdownTable(rows, [false, false, true, true, true, true, true, true, true, true]));
  out.push('');
  out.push(
    markdownTable(
      [
        ['CPU in the measured window (median)', 'HTTP', 'KafkaJS'],
        ['main thread CPU per event (server, or raw producer)', us(m((r) => r.http.usage.mainThreadMicrosPerEvent)), us(m((r) => r.raw.usage.mainThreadMicrosPerEvent))],
        ['main thread cores used', cores(m((r) => r.http.usage.mainThreadCores)), cores(m((r) => r.raw.usage.mainThreadCores))],
        ['main thread event-loop utilization (wall time not idle)', ratio(m((r) => r.http.usage.mainThreadElu)), ratio(m((r) => r.raw.usage.mainThreadElu))],
        ['HTTP client thread cores used (event-loop utilization)', `${cores(m((r) => r.http.usage.clientThreadCores))} (${ratio(m((r) => r.http.usage.clientThreadElu ?? NaN))})`, '-'],
        ['cores used by the bench process (all threads)', cores(m((r) => r.http.usage.processCores)), cores(m((r) => r.raw.usage.processCores))],
        [`cores used by the ${brokerName}`, cores(m((r) => r.http.usage.brokerCores)), cores(m((r) => r.raw.usage.brokerCores))],
        ['cores used by other processes on the machine', cores(m((r) => r.http.usage.otherCores)), cores(m((r) => r.raw.usage.otherCores))],
      ],
      [false, true, true],
    ),
  );
  const cpuRatio = m((r) => r.raw.usage.mainThreadMicrosPerEvent / r.http.usage.mainThreadMicrosPerEvent);
  out.push('');
  out.push(
    `Main-thread CPU per event, KafkaJS / HTTP: ${ratio(cpuRatio)} (the ratio HTTP / KafkaJS would have if the main thread had a core of its own in both measures; ` +
      'throughput also depends on how much CPU the client thread, the broker and other processes leave it).',
  );
  out.push('');
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  out.push(
    markdownTable(
      [
        ['target', 'measured', ''],
        [`HTTP ingest >= ${num(TARGET_EVENTS_PER_SECOND)} ev/s`, `${perSecond(httpRate)} ev/s`, met(httpRate >= TARGET_EVENTS_PER_SECOND)],
        [`HTTP / KafkaJS >= ${TARGET_RATIO}`, ratio(medianRatio), met(medianRatio >= TARGET_RATIO)],
      ],
      [false, true, false],
    ),
  );
  out.push('');
  const allFailures = runs.reduce((n, r) => n + failures(r.http) + failures(r.raw), 0);
  if (allFailures === 0) {
    out.push('Every HTTP request was answered 200 with all its events accepted; every KafkaJS send was acknowledged.');
  } else {
    const sum = (f: (x: Measured) => number) => runs.reduce((n, r) => n + f(r.http), 0);
    out.push(
      `HTTP answers other than "200, all accepted": ${num(sum((x) => x.rejected))} events rejected, ${num(sum((x) => x.status429))} x 429, ` +
        `${num(sum((x) => x.status503))} x 503, ${num(sum((x) => x.otherFailures))} other; KafkaJS sends failed: ${num(runs.reduce((n, r) => n + r.raw.otherFailures, 0))}.`,
    );
    const example = runs.flatMap((r) => [r.http.firstProblem, r.raw.firstProblem]).find((p) => p);
    if (example) out.push(`First problem: ${example}`);
  }
  out.push('');
  out.push(`Peak RSS of the bench process (runtime, HTTP client thread, KafkaJS baseline): ${mib(input.memory.peakOwn())}; peak PSS of the ${brokerName}: ${mib(input.memory.peakChildren)}.`);
  out.push(`Wall time: ${num(input.wallSeconds, 1)} s.`);
  out.push('');
  const round = (v: number, d = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);
  const measured = (x: Measured) => ({
    eventsPerSecond: round(x.eventsPerSecond),
    p50Ms: round(x.p50Ms, 2),
    p99Ms: round(x.p99Ms, 2),
    requests: x.requests,
    events: x.events,
    rejected: x.rejected,
    status429: x.status429,
    status503: x.status503,
    otherFailures: x.otherFailures,
    usage: Object.fromEntries(Object.entries(x.usage).map(([k, v]) => [k, v === null ? null : round(v, 3)])),
  });
  out.push(
    JSON.stringify({
      bench: 'c360-ingest',
      ...options,
      httpEventsPerSecond: round(httpRate),
      kafkajsEventsPerSecond: round(rawRate),
      ratio: round(medianRatio, 4),
      cpuPerEventRatio: round(cpuRatio, 4),
      httpP50Ms: round(m((r) => r.http.p50Ms), 2),
      httpP99Ms: round(m((r) => r.http.p99Ms), 2),
      kafkajsP50Ms: round(m((r) => r.raw.p50Ms), 2),
      kafkajsP99Ms: round(m((r) => r.raw.p99Ms), 2),
      perRun: runs.map((r) => ({ order: r.order, ratio: round(r.ratio, 4), http: measured(r.http), kafkajs: measured(r.raw) })),
      peakRssBytes: input.memory.peakOwn(),
      peakBrokerPssBytes: input.memory.peakChildren,
      wallSeconds: round(input.wallSeconds),
      node: process.version,
      cpus: cpus.length,
    }),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return allFailures === 0;
}

// ---------------------------------------------------------------------------------------------
// Main

const progress = new Progress();
const cleanups: (() => Promise<void>)[] = [];
/** The broker of the run, for the report. */
let brokerName = 'Kafka broker';

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const cleanup = cleanups.pop()!;
    await cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`));
  }
}

function showProgress(run: number, runs: number, live: Live): void {
  progress.set(() => {
    const { startAt, warmupMs, windowMs } = live.window;
    const elapsed = now() - startAt;
    if (elapsed < warmupMs) return `run ${run}/${runs} ${live.what}: warm-up ${(elapsed / 1000).toFixed(1)}/${(warmupMs / 1000).toFixed(1)} s`;
    const measured = Math.min(elapsed - warmupMs, windowMs);
    const events = live.inWindow();
    return (
      `run ${run}/${runs} ${live.what}: ${(measured / 1000).toFixed(1)}/${(windowMs / 1000).toFixed(1)} s measured, ` +
      `${num(events)} events, ${num(events / Math.max(measured / 1000, 0.001))} ev/s`
    );
  });
}

/** `c360 start --services ingest` with several processes, as an operator runs it; resolves with its URL. */
async function startIngestProcesses(options: { processes: number; brokers: string; apiKeys: string; dataDir: string }) {
  const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '..', 'bin', 'c360.js'), 'start', '--services', 'ingest'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: options.brokers,
      C360_API_KEYS: options.apiKeys,
      C360_INGEST_PROCESSES: String(options.processes),
      C360_DATA_DIR: options.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: '',
      SCHEMA_REGISTRY_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /API:\s+(\S+)/.exec(out);
      if (found) {
        clearInterval(timer);
        resolve(found[1]!);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`c360 start exited with ${code} before serving`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const startedAt = Date.now();
  const nonce = randomBytes(3).toString('hex');
  const logger: Logger = createLogger('warn', process.stderr);
  const memory = new MemorySampler();
  memory.start();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    progress.stop();
    process.stderr.write('bench: interrupted, stopping the runtime and the broker\n');
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const notes: string[] = [];
  const runs: Run[] = [];
  let jsonBytesPerEvent = NaN;
  let avroBytesPerEvent = NaN;
  try {
    const broker = await startBenchBroker((message) => progress.note(message));
    brokerName = broker.name;
    cleanups.push(() => broker.stop());
    const brokerPid = broker.pid ?? childRunning(brokerBinary);

    const tenant = `bench_${nonce}`;
    const apiKey = `benchkey_${nonce}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-ingest-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig(process.env, {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      dataDir,
      databaseUrl: '',
      clickhouseUrl: '',
      schemaRegistryUrl: '',
      kafkaBrokers: broker.brokers,
      apiKeys: `${apiKey}:${tenant}`,
      services: 'ingest',
    });
    if (options.batch > config.maxEventsPerRequest) {
      throw new Error(`--batch ${options.batch} is above the server's ${config.maxEventsPerRequest} events per request (C360_MAX_EVENTS_PER_REQUEST)`);
    }
    if (options.batch * options.concurrency > config.maxInFlightEvents) {
      notes.push(
        `--concurrency x --batch (${num(options.batch * options.concurrency)}) is above C360_MAX_IN_FLIGHT_EVENTS (${num(config.maxInFlightEvents)}): expect 429 answers`,
      );
    }
    // Every topic of the pipeline, so that the runtime and the baseline find them.
    const topics = topicNames(config.topicPrefix);
    for (const topic of allTopics(topics)) await broker.createTopic(topic, PARTITIONS);

    progress.note(`${broker.name} at ${broker.brokers}; starting an ingest-only runtime`);
    const runtime: Runtime = await startRuntime(config, logger);
    cleanups.push(() => runtime.stop());
    if (runtime.postgres || runtime.clickhouse) throw new Error('the ingest-only runtime opened Postgres or ClickHouse');
    const written = fs.readdirSync(dataDir);
    notes.push(
      `ingest-only runtime: Postgres ${runtime.postgres ? 'opened' : 'not opened'}, ClickHouse ${runtime.clickhouse ? 'opened' : 'not opened'}, ` +
        `data folder ${written.length ? `holds ${written.join(', ')}` : 'left empty'}`,
    );

    const pool = ingestEvents(Math.max(POOL_EVENTS, options.batch));
    const batches = batchesOf(pool, options.batch).filter((b) => b.length === options.batch);
    jsonBytesPerEvent = batches.reduce((n, b) => n + Buffer.byteLength(JSON.stringify(b)), 0) / (batches.length * options.batch);

    // The raw baseline's messages: what ingest would write for the same events.
    const encoded = await encodeBaselineMessages({
      events: batches.flat().map((e, i) => ({ ...e, event_id: `${nonce}-${Math.floor(i / options.batch)}-${i % options.batch}` })),
      tenant,
      codec: runtime.codec,
      pipelineTopics: runtime.topics,
      topicPrefix: config.topicPrefix,
      defaultRegion: config.defaultRegion,
      batchSize: options.batch,
    });
    avroBytesPerEvent = encoded.bytes / encoded.count;
    const rawBatches: RawBatch[] = encoded.batches.map((batch) =>
      batch.map((t) => ({ topic: t.topic, messages: t.messages.map((msg) => ({ key: msg.key, value: msg.value, headers: msg.headers })) })),
    );

    let serverUrl = runtime.url!;
    let serverPids: () => number[] = () => [];
    if (options.processes > 1) {
      const server = await startIngestProcesses({ processes: options.processes, brokers: broker.brokers, apiKeys: `${apiKey}:${tenant}`, dataDir });
      cleanups.push(() => server.stop());
      serverUrl = server.url;
      serverPids = () => [server.pid, ...childrenOf(server.pid)];
      notes.push(`HTTP: \`c360 start --services ingest\` with C360_INGEST_PROCESSES=${options.processes} (a primary handing connections to ${options.processes} ingest processes on one port); server CPU is theirs`);
    }
    const clients = await HttpClients.start({ url: serverUrl, apiKey, batches, batch: options.batch });
    cleanups.push(() => clients.stop());
    const probe: Probe = { brokerPid, clientThreads: clients.threads, serverPids };

    const kafka = new Kafka({
      clientId: 'c360-bench-ingest-baseline',
      brokers: broker.brokers.split(','),
      logCreator: kafkaLogCreator(logger),
      retry: { initialRetryTime: 100, retries: 5 },
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    progress.note(
      `${options.runs} run(s): ${options.concurrency} senders x ${options.batch} events, ${options.warmup} s warm-up + ${options.seconds} s measured per measure; ` +
        'HTTP clients in a worker thread, server and KafkaJS baseline on the main thread',
    );
    const warmupMs = options.warmup * 1000;
    const windowMs = options.seconds * 1000;
    for (let run = 1; run <= options.runs; run++) {
      const order: Run['order'] = run % 2 === 1 ? ['http', 'raw'] : ['raw', 'http'];
      const measured: Partial<Record<'http' | 'raw', Measured>> = {};
      for (const which of order) {
        const window: Window = { startAt: now(), warmupMs, windowMs };
        const live = (l: Live) => showProgress(run, options.runs, l);
        measured[which] =
          which === 'http'
            ? await clients.measure(`${nonce}-${run}`, window, options.concurrency, probe, live)
            : await measureRaw(producer, rawBatches, window, options.concurrency, { ...probe, serverPids: () => [] }, live);
        progress.stop();
        const x = measured[which]!;
        progress.note(
          `run ${run}/${options.runs} ${which === 'http' ? 'HTTP' : 'KafkaJS'}: ${num(x.eventsPerSecond)} ev/s, ` +
            `p50 ${ms(x.p50Ms)}, p99 ${ms(x.p99Ms)}, main thread ${cores(x.usage.mainThreadCores)} cores, ${us(x.usage.mainThreadMicrosPerEvent)} per event` +
            (failures(x) ? `, ${num(failures(x))} failures (${x.firstProblem})` : ''),
        );
      }
      const http = measured.http!;
      const raw = measured.raw!;
      runs.push({ order, http, raw, ratio: http.eventsPerSecond / raw.eventsPerSecond });
      progress.note(`run ${run}/${options.runs}: HTTP / KafkaJS = ${ratio(http.eventsPerSecond / raw.eventsPerSecond)}`);
    }
  } finally {
    progress.stop();
    await cleanupAll();
    memory.sample();
    memory.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const ok = report({ options, runs, jsonBytesPerEvent, avroBytesPerEvent, memory, wallSeconds: (Date.now() - startedAt) / 1000, notes });
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench:ingest failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
