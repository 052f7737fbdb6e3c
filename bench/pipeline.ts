/**
 * `c360 bench`: events per second through the whole pipeline, HTTP in to ClickHouse rows out,
 * in the embedded mode (log transport in embedded Postgres, chDB) and on the Kafka path (a real
 * Apache Kafka broker where Java is present, else the Kafka test broker; embedded Postgres,
 * chDB), each next to a raw baseline of its transport measured in the same run: the embedded log transport alone, and plain KafkaJS.
 *
 * Each figure is the median of `runs` runs. Every run sends its own events (unique event IDs)
 * as its own tenant, and is done when ClickHouse holds every one of its events. The runtimes
 * are the product's own (startRuntime with loadConfig); nothing in them is tuned for the bench.
 * Prints a table on stdout and, last, one JSON line; progress goes to stderr.
 *
 * Time budget: a default run should take about ten minutes. When, at the end-to-end rate seen
 * in a path's warm-up, --events x --runs would not fit that path's share of the budget
 * (C360_BENCH_BUDGET_SECONDS, default 540; 0 for none), the path runs fewer events per run
 * (never under 1,000) and the report says so and why. Pipeline and baseline of a run always
 * move the same events.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { startRuntime, type Runtime } from '../app/runtime.ts';
import { allTopics, topicNames } from '../schemas/topics.ts';
import { startBenchBroker } from './bench-broker.ts';
import {
  encodeBaselineMessages,
  kafkaBaseline,
  logTransportBaseline,
  type BaselineMessages,
  type BaselineProgress,
  type BaselineResult,
} from './baselines.ts';
import { batchesOf, benchEvents } from './events.ts';
import { now, prepareLoad } from './load.ts';
import { MemorySampler, Progress, freePort, median, mib, num, percentile, waitUntil } from './util.ts';

const EVENTS_PER_POST = 100;
const CLIENTS = 8;
const WARMUP_EVENTS = 500;
/** Fewest events per run when the time budget cuts --events down. */
const MIN_CAPPED_EVENTS = 1000;
/** Start-up and warm-up of the Kafka path, reserved while the embedded path is planned. */
const KAFKA_FIXED_SECONDS = 60;
const DEFAULT_BUDGET_SECONDS = 540;
/** A run fails when the ClickHouse row count has not moved for this long. */
const STALL_MS = 180_000;

export interface BenchOptions {
  events: number;
  runs: number;
}

interface PipelineRun {
  events: number;
  /** Events per second from the first POST until ClickHouse holds every event. */
  endToEndEventsPerSecond: number;
  endToEndSeconds: number;
  /** Events per second from the first POST until the last one was answered (all durable). */
  ingestEventsPerSecond: number;
  ingestSeconds: number;
  postLatencyP50Ms: number;
  postLatencyP99Ms: number;
  retries503: number;
  /** Current (not merged) profiles of the run's tenant in ClickHouse after the run. */
  profiles: number;
  /** Work of each stage during the run, from the runtime's own metrics. */
  stages: Record<string, StageWork>;
}

interface StageWork {
  messages: number;
  batches: number;
  /** Seconds spent handling batches (sum over batches). */
  seconds: number;
}

/** Messages, batches and busy seconds of each stage so far (the runtime's Prometheus metrics). */
async function stageTotals(runtime: Runtime): Promise<Record<string, StageWork>> {
  const totals: Record<string, StageWork> = {};
  const of = (stage: string) => (totals[stage] ??= { messages: 0, batches: 0, seconds: 0 });
  for (const v of (await runtime.metrics.stageMessages.get()).values) of(String(v.labels.stage)).messages += v.value;
  for (const v of (await runtime.metrics.stageBatchSeconds.get()).values) {
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_count')) of(String(v.labels.stage)).batches += v.value;
    else if (name.endsWith('_sum')) of(String(v.labels.stage)).seconds += v.value;
  }
  return totals;
}

function stageDelta(before: Record<string, StageWork>, after: Record<string, StageWork>): Record<string, StageWork> {
  return Object.fromEntries(
    Object.entries(after).map(([stage, a]) => {
      const b = before[stage] ?? { messages: 0, batches: 0, seconds: 0 };
      return [stage, { messages: a.messages - b.messages, batches: a.batches - b.batches, seconds: a.seconds - b.seconds }];
    }),
  );
}

interface PathResult {
  eventsPerRun: number;
  capped: string | null;
  warmup: PipelineRun;
  pipeline: PipelineRun[];
  baseline: BaselineResult[];
}

const progress = new Progress();
/** The Kafka path's broker, for the report. */
let brokerName = 'Kafka broker';
const cleanups: (() => Promise<void>)[] = [];

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const cleanup = cleanups.pop()!;
    await cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`));
  }
}

function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `c360-bench-${label}-`));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function countEvents(runtime: Runtime, tenant: string): Promise<number> {
  const ch = runtime.clickhouse!;
  const result = await ch.client.query({
    query: `SELECT uniqExact(event_id) AS n FROM ${ch.database}.events WHERE tenant_id = {tenant:String}`,
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

async function countProfiles(runtime: Runtime, tenant: string): Promise<number> {
  const ch = runtime.clickhouse!;
  const result = await ch.client.query({
    query: `SELECT count() AS n FROM ${ch.database}.profiles FINAL WHERE tenant_id = {tenant:String} AND merged_into IS NULL`,
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

/** POSTs the events with CLIENTS concurrent clients and waits until ClickHouse holds them all. */
async function pipelineRun(runtime: Runtime, options: { label: string; tenant: string; apiKey: string; events: ReturnType<typeof benchEvents>['events'] }): Promise<PipelineRun> {
  const total = options.events.length;
  const load = await prepareLoad({ url: runtime.url!, apiKey: options.apiKey, batches: batchesOf(options.events, EVENTS_PER_POST), clients: CLIENTS });
  const stagesBefore = await stageTotals(runtime);
  let rows = 0;
  let loadError: Error | null = null;
  let ingestDoneAt: number | null = null;
  load.done.then(
    (r) => (ingestDoneAt = r.finishedAt),
    (error: Error) => (loadError = error),
  );
  const started = load.start();
  progress.set(() => {
    const seconds = (now() - started) / 1000;
    const ingest = ingestDoneAt ? `ingest done in ${((ingestDoneAt - started) / 1000).toFixed(1)} s` : `${num(load.accepted())}/${num(total)} accepted`;
    return `${options.label}: ${ingest}, ${num(rows)}/${num(total)} in ClickHouse, ${num(rows / Math.max(seconds, 0.001))} ev/s, ${seconds.toFixed(1)} s`;
  });
  await waitUntil({
    done: async () => {
      if (loadError) throw loadError;
      rows = await countEvents(runtime, options.tenant);
      return rows >= total;
    },
    progress: () => rows + load.accepted(),
    what: `${options.label} (events in ClickHouse)`,
    everyMs: 100,
    stallMs: STALL_MS,
  });
  const visibleAt = now();
  const stages = stageDelta(stagesBefore, await stageTotals(runtime));
  const ingest = await load.done;
  progress.stop();
  if (ingest.rejected > 0) throw new Error(`${options.label}: ${ingest.rejected} events were rejected, e.g. ${ingest.firstRejection}`);
  if (ingest.accepted !== total) throw new Error(`${options.label}: ${ingest.accepted} of ${total} events accepted`);
  const endToEnd = (visibleAt - ingest.startedAt) / 1000;
  const ingestSeconds = (ingest.finishedAt - ingest.startedAt) / 1000;
  return {
    events: total,
    endToEndEventsPerSecond: total / endToEnd,
    endToEndSeconds: endToEnd,
    ingestEventsPerSecond: total / ingestSeconds,
    ingestSeconds,
    postLatencyP50Ms: percentile(ingest.latencies, 50),
    postLatencyP99Ms: percentile(ingest.latencies, 99),
    retries503: ingest.retries,
    profiles: await countProfiles(runtime, options.tenant),
    stages,
  };
}

function baselineProgress(label: string, total: number): BaselineProgress {
  const state: BaselineProgress = { produced: 0, consumed: 0 };
  const started = now();
  progress.set(() => `${label}: ${num(state.produced)}/${num(total)} produced, ${num(state.consumed)}/${num(total)} consumed, ${((now() - started) / 1000).toFixed(1)} s`);
  return state;
}

interface Keys {
  apiKeys: string;
  key(label: string): string;
  tenant(label: string): string;
}

/** One API key and tenant per run (and one for the warm-up), all configured up front. */
function keysFor(nonce: string, labels: string[]): Keys {
  const tenant = (label: string) => `bench_${nonce}_${label}`;
  const key = (label: string) => `benchkey_${nonce}_${label}`;
  return { apiKeys: labels.map((l) => `${key(l)}:${tenant(l)}`).join(','), key, tenant };
}

function runtimeConfig(overrides: Partial<Config>): Config {
  return loadConfig(process.env, {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'warn',
    databaseUrl: '',
    clickhouseUrl: '',
    schemaRegistryUrl: '',
    services: 'ingest,resolver,enrich,api',
    ...overrides,
  });
}

async function startBenchRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const runtime = await startRuntime(config, logger);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runtime.stop();
    // chDB binds one data folder per process: let the closed one go before another opens.
    const { drainPending } = await import('chdb');
    await drainPending();
  };
  cleanups.push(stop);
  return { ...runtime, stop };
}

interface Budget {
  startedAt: number;
  /** Target wall time of the whole bench, 0 for none. */
  seconds: number;
}

interface Plan {
  eventsPerRun: number;
  /** Why fewer events than --events run on this path, or null. */
  capped: string | null;
  warmup: PipelineRun;
}

/**
 * Events per run of a path: --events, unless at the end-to-end rate seen in the warm-up the
 * runs would not fit this path's share of the time budget; then as many (in hundreds, at least
 * 1,000) as fit. The same count is used for the baseline, so pipeline and baseline move the
 * same messages.
 */
function planRuns(options: BenchOptions, budget: Budget, warmup: PipelineRun, pathsLeft: number, laterFixedSeconds: number): Plan {
  if (budget.seconds <= 0) return { eventsPerRun: options.events, capped: null, warmup };
  const elapsed = (Date.now() - budget.startedAt) / 1000;
  const allowance = Math.max(0, (budget.seconds - elapsed - laterFixedSeconds) / pathsLeft);
  // About a fifth of a run goes to the baseline, encoding and stopping.
  const perRun = (allowance / options.runs) * 0.8;
  const fits = Math.floor((warmup.endToEndEventsPerSecond * perRun) / EVENTS_PER_POST) * EVENTS_PER_POST;
  const eventsPerRun = Math.min(options.events, Math.max(Math.min(options.events, MIN_CAPPED_EVENTS), fits));
  if (eventsPerRun >= options.events) return { eventsPerRun, capped: null, warmup };
  const full = (options.events / warmup.endToEndEventsPerSecond) * options.runs;
  return {
    eventsPerRun,
    capped:
      `${num(options.events)} events x ${options.runs} runs would take about ${num(full / 60, 1)} min at the warm-up's ` +
      `${num(warmup.endToEndEventsPerSecond)} ev/s end to end; ${num(eventsPerRun)} per run fit this path's share of the ` +
      `${num(budget.seconds)} s budget (C360_BENCH_BUDGET_SECONDS=0 runs --events on every path)`,
    warmup,
  };
}

interface PathSetup {
  runtime: Runtime;
  config: Config;
  /** The raw transport baseline of this path on the same engines. */
  baseline(messages: BaselineMessages, groupId: string, state: BaselineProgress): Promise<BaselineResult>;
  baselineName: string;
}

async function measurePath(
  name: 'embedded' | 'kafka',
  options: BenchOptions,
  budget: Budget,
  nonce: string,
  setup: (keys: Keys) => Promise<PathSetup>,
  pathsLeft: number,
  laterFixedSeconds: number,
): Promise<PathResult> {
  const labels = ['warmup', ...Array.from({ length: options.runs }, (_, i) => `${name}${i + 1}`)];
  const keys = keysFor(nonce, labels);
  const { runtime, config, baseline, baselineName } = await setup(keys);

  const { events: warm } = benchEvents(Math.min(WARMUP_EVENTS, options.events), `${nonce}-${name}-warmup`, 7);
  const warmup = await pipelineRun(runtime, { label: `${name} warm-up`, tenant: keys.tenant('warmup'), apiKey: keys.key('warmup'), events: warm });
  progress.note(`${name} warm-up: ${num(warm.length)} events end to end at ${num(warmup.endToEndEventsPerSecond)} ev/s`);
  const plan = planRuns(options, budget, warmup, pathsLeft, laterFixedSeconds);
  if (plan.capped) progress.note(`${name}: ${num(plan.eventsPerRun)} events per run: ${plan.capped}`);

  const result: PathResult = { eventsPerRun: plan.eventsPerRun, capped: plan.capped, warmup, pipeline: [], baseline: [] };
  for (let run = 1; run <= options.runs; run++) {
    const label = `${name}${run}`;
    const { events } = benchEvents(plan.eventsPerRun, `${nonce}-${label}`);
    const prefix = `${name} run ${run}/${options.runs}`;
    const pipeline = await pipelineRun(runtime, { label: `${prefix} pipeline`, tenant: keys.tenant(label), apiKey: keys.key(label), events });
    result.pipeline.push(pipeline);
    progress.note(
      `${prefix}: end to end ${num(pipeline.endToEndEventsPerSecond)} ev/s (${pipeline.endToEndSeconds.toFixed(1)} s), ` +
        `ingest ${num(pipeline.ingestEventsPerSecond)} ev/s, ${num(pipeline.profiles)} profiles`,
    );

    const messages = await encodeBaselineMessages({
      events,
      tenant: keys.tenant(label),
      codec: runtime.codec,
      pipelineTopics: runtime.topics,
      topicPrefix: `bench-${nonce}-${label}`,
      defaultRegion: config.defaultRegion,
      batchSize: EVENTS_PER_POST,
    });
    const state = baselineProgress(`${prefix} ${baselineName} baseline`, messages.count);
    const measured = await baseline(messages, `bench-${nonce}-${label}`, state);
    progress.stop();
    result.baseline.push(measured);
    progress.note(`${prefix}: ${baselineName} baseline ${num(measured.eventsPerSecond)} ev/s`);
  }
  progress.note(`${name}: stopping`);
  await runtime.stop();
  return result;
}

async function embeddedSetup(keys: Keys, logger: Logger): Promise<PathSetup> {
  const dataDir = tempDir('embedded');
  progress.note(`embedded: starting embedded Postgres and chDB in ${dataDir}`);
  const config = runtimeConfig({ dataDir, embeddedPostgresPort: await freePort(), kafkaBrokers: '', apiKeys: keys.apiKeys });
  const runtime = await startBenchRuntime(config, logger);
  return {
    runtime,
    config,
    baselineName: 'log transport',
    baseline: (messages, groupId, state) =>
      logTransportBaseline({
        pool: runtime.postgres!.pool,
        partitions: config.embeddedPartitions,
        maxBatchSize: config.batchSize,
        logger,
        messages,
        groupId,
        clients: CLIENTS,
        progress: state,
      }),
  };
}

async function kafkaSetup(keys: Keys, logger: Logger): Promise<PathSetup> {
  const broker = await startBenchBroker((message) => progress.note(message));
  brokerName = broker.name;
  cleanups.push(() => broker.stop());
  const createTopic = (topic: string) => broker.createTopic(topic, 4);
  const dataDir = tempDir('kafka');
  progress.note(`kafka: ${broker.name} at ${broker.brokers}; starting embedded Postgres and chDB in ${dataDir}`);
  const config = runtimeConfig({ dataDir, embeddedPostgresPort: await freePort(), kafkaBrokers: broker.brokers, apiKeys: keys.apiKeys });
  // The pipeline's topics with 4 partitions (the mock cluster has no CreateTopics API either way).
  for (const topic of allTopics(topicNames(config.topicPrefix))) await createTopic(topic);
  const runtime = await startBenchRuntime(config, logger);
  return {
    runtime,
    config,
    baselineName: 'KafkaJS',
    baseline: (messages, groupId, state) =>
      kafkaBaseline({ brokers: broker.brokers.split(','), logger, messages, groupId, clients: CLIENTS, progress: state, createTopic }),
  };
}

function stat(run: PipelineRun, stage: string, f: (w: StageWork) => number): number {
  const work = run.stages[stage];
  return work && work.messages > 0 && work.batches > 0 ? f(work) : NaN;
}

function summarize(result: PathResult) {
  const p = result.pipeline;
  const b = result.baseline;
  const m = (values: number[]) => median(values);
  const endToEnd = m(p.map((r) => r.endToEndEventsPerSecond));
  const baseline = m(b.map((r) => r.eventsPerSecond));
  return {
    endToEndEventsPerSecond: endToEnd,
    endToEndSeconds: m(p.map((r) => r.endToEndSeconds)),
    ingestEventsPerSecond: m(p.map((r) => r.ingestEventsPerSecond)),
    postLatencyP50Ms: m(p.map((r) => r.postLatencyP50Ms)),
    postLatencyP99Ms: m(p.map((r) => r.postLatencyP99Ms)),
    profiles: m(p.map((r) => r.profiles)),
    baselineEventsPerSecond: baseline,
    baselineProduceEventsPerSecond: m(b.map((r) => r.messages / (r.produceMs / 1000))),
    baselineConsumeEventsPerSecond: m(b.map((r) => r.messages / (r.consumeMs / 1000))),
    baselineSeconds: m(b.map((r) => (r.produceMs + r.consumeMs) / 1000)),
    /** Median over runs of each run's pipeline / baseline. */
    ratio: m(p.map((r, i) => r.endToEndEventsPerSecond / b[i]!.eventsPerSecond)),
    avgMessageBytes: b.length ? b[0]!.bytes / b[0]!.messages : NaN,
    retries503: p.reduce((n, r) => n + r.retries503, 0),
    resolverMsPerEvent: m(p.map((r) => stat(r, 'resolver', (w) => (w.seconds * 1000) / w.messages))),
    resolverMessagesPerBatch: m(p.map((r) => stat(r, 'resolver', (w) => w.messages / w.batches))),
    enrichMessagesPerBatch: m(p.map((r) => stat(r, 'enrich', (w) => w.messages / w.batches))),
    enrichMsPerBatch: m(p.map((r) => stat(r, 'enrich', (w) => (w.seconds * 1000) / w.batches))),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.slice(1).map(line)].join('\n');
}

function budgetSeconds(): number {
  const raw = process.env.C360_BENCH_BUDGET_SECONDS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_BUDGET_SECONDS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`C360_BENCH_BUDGET_SECONDS must be a whole number of seconds (0: no budget), got "${raw}"`);
  return value;
}

export async function runBenchmarks(options: BenchOptions): Promise<void> {
  if (!Number.isInteger(options.events) || options.events < 1) throw new Error(`--events must be a positive integer, got ${options.events}`);
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`--runs must be a positive integer, got ${options.runs}`);
  const budget: Budget = { startedAt: Date.now(), seconds: budgetSeconds() };
  const nonce = randomBytes(3).toString('hex');
  const logger = createLogger('warn', process.stderr);
  const memory = new MemorySampler();
  memory.start();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    progress.stop();
    process.stderr.write('bench: interrupted, stopping the runtimes and the broker\n');
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  progress.note(
    `${num(options.events)} events per run, ${options.runs} run(s) per path, ${CLIENTS} HTTP clients x ${EVENTS_PER_POST} events per POST` +
      (budget.seconds ? `, time budget ${budget.seconds} s` : ', no time budget'),
  );

  let embedded: PathResult;
  let kafka: PathResult;
  try {
    embedded = await measurePath('embedded', options, budget, nonce, (keys) => embeddedSetup(keys, logger), 2, KAFKA_FIXED_SECONDS);
    kafka = await measurePath('kafka', options, budget, nonce, (keys) => kafkaSetup(keys, logger), 1, 0);
  } finally {
    progress.stop();
    await cleanupAll();
    memory.sample();
    memory.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const wallSeconds = (Date.now() - budget.startedAt) / 1000;
  report(options, budget, embedded, kafka, memory, wallSeconds);
}

function report(options: BenchOptions, budget: Budget, embedded: PathResult, kafka: PathResult, memory: MemorySampler, wallSeconds: number): void {
  const e = summarize(embedded);
  const k = summarize(kafka);
  const people = (result: PathResult) => benchEvents(result.eventsPerRun, 'count').people;
  const cpus = os.cpus();
  const runsNote = options.runs === 1 ? '1 run' : `median of ${options.runs} runs`;
  const perSecond = (v: number) => `${num(v)} ev/s`;
  const seconds = (v: number) => `${v.toFixed(1)} s`;
  const ms = (v: number) => `${num(v, 1)} ms`;
  const count = (result: PathResult) => `${num(result.eventsPerRun)}${result.capped ? ' (budget)' : ''}`;

  const out: string[] = [];
  out.push('');
  out.push(`Customer 360 pipeline benchmark: node bin/c360.js bench --events ${options.events} --runs ${options.runs}`);
  out.push(
    `events: crm, pos, web, messaging envelopes of ~events/5 people; ~${num(e.avgMessageBytes)} B Avro each; ` +
      `${CLIENTS} HTTP clients x ${EVENTS_PER_POST} events per POST; ${runsNote} per figure`,
  );
  out.push(`machine: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, ${mib(os.totalmem())}, ${os.type()} ${os.release()}, Node ${process.version}`);
  out.push('');
  out.push(
    table([
      ['', 'embedded (Postgres log)', `Kafka (${brokerName})`],
      ['events per run', count(embedded), count(kafka)],
      ['pipeline end to end: HTTP in -> ClickHouse rows', perSecond(e.endToEndEventsPerSecond), perSecond(k.endToEndEventsPerSecond)],
      ['  time until the last event is in ClickHouse', seconds(e.endToEndSeconds), seconds(k.endToEndSeconds)],
      ['ingest only: HTTP accepted (durable in the transport)', perSecond(e.ingestEventsPerSecond), perSecond(k.ingestEventsPerSecond)],
      ['POST /v1/events latency p50 (100 events)', ms(e.postLatencyP50Ms), ms(k.postLatencyP50Ms)],
      ['POST /v1/events latency p99 (100 events)', ms(e.postLatencyP99Ms), ms(k.postLatencyP99Ms)],
      ['raw transport baseline: produce, then consume', perSecond(e.baselineEventsPerSecond), perSecond(k.baselineEventsPerSecond)],
      ['  baseline is', 'log transport alone', 'KafkaJS alone'],
      ['  baseline produce only', perSecond(e.baselineProduceEventsPerSecond), perSecond(k.baselineProduceEventsPerSecond)],
      ['  baseline consume only', perSecond(e.baselineConsumeEventsPerSecond), perSecond(k.baselineConsumeEventsPerSecond)],
      ['pipeline end to end / baseline', `${e.ratio.toFixed(3)}x`, `${k.ratio.toFixed(3)}x`],
      ['profiles after a run (people in its events)', `${num(e.profiles)} (${num(people(embedded))})`, `${num(k.profiles)} (${num(people(kafka))})`],
      ['resolver: busy time per event', ms(e.resolverMsPerEvent), ms(k.resolverMsPerEvent)],
      ['resolver: messages per batch', num(e.resolverMessagesPerBatch, 1), num(k.resolverMessagesPerBatch, 1)],
      ['enrich: messages per batch', num(e.enrichMessagesPerBatch, 1), num(k.enrichMessagesPerBatch, 1)],
      ['enrich: busy time per batch', ms(e.enrichMsPerBatch), ms(k.enrichMsPerBatch)],
      [`warm-up end to end (${num(embedded.warmup.events)} events, not in figures)`, perSecond(embedded.warmup.endToEndEventsPerSecond), perSecond(kafka.warmup.endToEndEventsPerSecond)],
    ]),
  );
  out.push('');
  const runRows: string[][] = [['run', 'events', 'end to end', 'ingest only', 'POST p50', 'POST p99', 'baseline', 'pipeline/baseline']];
  for (const [name, result] of [['embedded', embedded], ['kafka', kafka]] as const) {
    result.pipeline.forEach((r, i) => {
      const b = result.baseline[i]!;
      runRows.push([
        `${name} ${i + 1}`,
        num(r.events),
        perSecond(r.endToEndEventsPerSecond),
        perSecond(r.ingestEventsPerSecond),
        ms(r.postLatencyP50Ms),
        ms(r.postLatencyP99Ms),
        perSecond(b.eventsPerSecond),
        `${(r.endToEndEventsPerSecond / b.eventsPerSecond).toFixed(3)}x`,
      ]);
    });
  }
  out.push(table(runRows));
  out.push('');
  for (const [name, result] of [['embedded', embedded], ['kafka', kafka]] as const) {
    if (result.capped) out.push(`note: ${name} ran ${num(result.eventsPerRun)} events per run, not ${num(options.events)}: ${result.capped}.`);
  }
  const peakOwn = memory.peakOwn();
  out.push(`peak RSS of the bench process (Node, chDB, HTTP client thread): ${mib(peakOwn)}`);
  out.push(`peak PSS of its child processes (embedded Postgres, ${brokerName}): ${mib(memory.peakChildren)}; peak sampled sum: ${mib(memory.peakTotal)}`);
  if (e.retries503 + k.retries503 > 0) out.push(`503 answers retried: embedded ${e.retries503}, kafka ${k.retries503}`);
  out.push(`wall time: ${seconds(wallSeconds)}${budget.seconds ? ` (budget ${budget.seconds} s)` : ''}`);
  out.push('');
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  const summary = (s: ReturnType<typeof summarize>, result: PathResult) => ({
    ...Object.fromEntries(Object.entries(s).map(([key, v]) => [key, round(v, key === 'ratio' ? 4 : 1)])),
    eventsPerRun: result.eventsPerRun,
    people: people(result),
    capped: result.capped,
    warmupEndToEndEventsPerSecond: round(result.warmup.endToEndEventsPerSecond),
  });
  const json = {
    bench: 'c360-pipeline',
    events: options.events,
    runs: options.runs,
    clients: CLIENTS,
    eventsPerPost: EVENTS_PER_POST,
    budgetSeconds: budget.seconds,
    embedded: summary(e, embedded),
    kafka: { ...summary(k, kafka), broker: brokerName },
    perRun: {
      embedded: { pipeline: embedded.pipeline, baseline: embedded.baseline },
      kafka: { pipeline: kafka.pipeline, baseline: kafka.baseline },
    },
    peakRssBytes: peakOwn,
    peakChildPssBytes: memory.peakChildren,
    peakSampledTotalBytes: memory.peakTotal,
    wallSeconds: round(wallSeconds),
    node: process.version,
    cpus: cpus.length,
  };
  out.push(JSON.stringify(json));
  process.stdout.write(`${out.join('\n')}\n`);
}
