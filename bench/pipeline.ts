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
 *
 * This file runs the paths (engines, warm-up, budget plan, runs, baselines, clean-up); one measured
 * run is in pipeline-run.ts and the printed report in pipeline-report.ts.
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
import { benchEvents } from './events.ts';
import { now } from './load.ts';
import { CLIENTS, EVENTS_PER_POST, pipelineRun, type PipelineRun } from './pipeline-run.ts';
import { report, type PathResult } from './pipeline-report.ts';
import { MemorySampler, Progress, cleanUpOnInterrupt, cleanupAll, freePort, num, type Cleanup } from './util.ts';

const WARMUP_EVENTS = 500;
/** Fewest events per run when the time budget cuts --events down. */
const MIN_CAPPED_EVENTS = 1000;
/** Start-up and warm-up of the Kafka path, reserved while the embedded path is planned. */
const KAFKA_FIXED_SECONDS = 60;
const DEFAULT_BUDGET_SECONDS = 540;

export interface BenchOptions {
  events: number;
  runs: number;
}

/** What one bench invocation shares between its steps: progress on stderr, the logger and what to stop at the end. */
interface BenchContext {
  progress: Progress;
  logger: Logger;
  /** Run last first by cleanupAll. */
  cleanups: Cleanup[];
}

function tempDir(cleanups: Cleanup[], label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `c360-bench-${label}-`));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function baselineProgress(progress: Progress, label: string, total: number): BaselineProgress {
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

async function startBenchRuntime(config: Config, context: BenchContext): Promise<Runtime> {
  const runtime = await startRuntime(config, context.logger);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runtime.stop();
    // chDB binds one data folder per process: let the closed one go before another opens.
    const { drainPending } = await import('chdb');
    await drainPending();
  };
  context.cleanups.push(stop);
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
  progress: Progress,
  setup: (keys: Keys) => Promise<PathSetup>,
  pathsLeft: number,
  laterFixedSeconds: number,
): Promise<PathResult> {
  const labels = ['warmup', ...Array.from({ length: options.runs }, (_, i) => `${name}${i + 1}`)];
  const keys = keysFor(nonce, labels);
  const { runtime, config, baseline, baselineName } = await setup(keys);

  const { events: warm } = benchEvents(Math.min(WARMUP_EVENTS, options.events), `${nonce}-${name}-warmup`, 7);
  const warmup = await pipelineRun(runtime, progress, { label: `${name} warm-up`, tenant: keys.tenant('warmup'), apiKey: keys.key('warmup'), events: warm });
  progress.note(`${name} warm-up: ${num(warm.length)} events end to end at ${num(warmup.endToEndEventsPerSecond)} ev/s`);
  const plan = planRuns(options, budget, warmup, pathsLeft, laterFixedSeconds);
  if (plan.capped) progress.note(`${name}: ${num(plan.eventsPerRun)} events per run: ${plan.capped}`);

  const result: PathResult = { eventsPerRun: plan.eventsPerRun, capped: plan.capped, warmup, pipeline: [], baseline: [] };
  for (let run = 1; run <= options.runs; run++) {
    const label = `${name}${run}`;
    const { events } = benchEvents(plan.eventsPerRun, `${nonce}-${label}`);
    const prefix = `${name} run ${run}/${options.runs}`;
    const pipeline = await pipelineRun(runtime, progress, { label: `${prefix} pipeline`, tenant: keys.tenant(label), apiKey: keys.key(label), events });
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
    const state = baselineProgress(progress, `${prefix} ${baselineName} baseline`, messages.count);
    const measured = await baseline(messages, `bench-${nonce}-${label}`, state);
    progress.stop();
    result.baseline.push(measured);
    progress.note(`${prefix}: ${baselineName} baseline ${num(measured.eventsPerSecond)} ev/s`);
  }
  progress.note(`${name}: stopping`);
  await runtime.stop();
  return result;
}

async function embeddedSetup(keys: Keys, context: BenchContext): Promise<PathSetup> {
  const { progress, logger } = context;
  const dataDir = tempDir(context.cleanups, 'embedded');
  progress.note(`embedded: starting embedded Postgres and chDB in ${dataDir}`);
  const config = runtimeConfig({ dataDir, embeddedPostgresPort: await freePort(), kafkaBrokers: '', apiKeys: keys.apiKeys });
  const runtime = await startBenchRuntime(config, context);
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

/** Starts the Kafka path's broker (its name goes to onBroker, for the report) and runtime. */
async function kafkaSetup(keys: Keys, context: BenchContext, onBroker: (name: string) => void): Promise<PathSetup> {
  const { progress, logger } = context;
  const broker = await startBenchBroker((message) => progress.note(message));
  onBroker(broker.name);
  context.cleanups.push(() => broker.stop());
  const createTopic = (topic: string) => broker.createTopic(topic, 4);
  const dataDir = tempDir(context.cleanups, 'kafka');
  progress.note(`kafka: ${broker.name} at ${broker.brokers}; starting embedded Postgres and chDB in ${dataDir}`);
  const config = runtimeConfig({ dataDir, embeddedPostgresPort: await freePort(), kafkaBrokers: broker.brokers, apiKeys: keys.apiKeys });
  // The pipeline's topics with 4 partitions (the mock cluster has no CreateTopics API either way).
  for (const topic of allTopics(topicNames(config.topicPrefix))) await createTopic(topic);
  const runtime = await startBenchRuntime(config, context);
  return {
    runtime,
    config,
    baselineName: 'KafkaJS',
    baseline: (messages, groupId, state) =>
      kafkaBaseline({ brokers: broker.brokers.split(','), logger, messages, groupId, clients: CLIENTS, progress: state, createTopic }),
  };
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
  const progress = new Progress();
  const logger = createLogger('warn', process.stderr);
  const context: BenchContext = { progress, logger, cleanups: [] };
  /** The Kafka path's broker, for the report. */
  let brokerName = 'Kafka broker';
  const memory = new MemorySampler();
  memory.start();
  const stopHandlingSignals = cleanUpOnInterrupt(progress, context.cleanups, 'stopping the runtimes and the broker');

  progress.note(
    `${num(options.events)} events per run, ${options.runs} run(s) per path, ${CLIENTS} HTTP clients x ${EVENTS_PER_POST} events per POST` +
      (budget.seconds ? `, time budget ${budget.seconds} s` : ', no time budget'),
  );

  let embedded: PathResult;
  let kafka: PathResult;
  try {
    embedded = await measurePath('embedded', options, budget, nonce, progress, (keys) => embeddedSetup(keys, context), 2, KAFKA_FIXED_SECONDS);
    kafka = await measurePath('kafka', options, budget, nonce, progress, (keys) => kafkaSetup(keys, context, (name) => (brokerName = name)), 1, 0);
  } finally {
    progress.stop();
    await cleanupAll(context.cleanups);
    memory.sample();
    memory.stop();
    stopHandlingSignals();
  }
  const wallSeconds = (Date.now() - budget.startedAt) / 1000;
  report({ options, budgetSeconds: budget.seconds, brokerName, memory, wallSeconds }, embedded, kafka);
}
