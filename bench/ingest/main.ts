/**
 * Wires the ingest benchmark together: broker, server, HTTP clients, KafkaJS producer, the runs, the report.
 *
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
import { createLogger, type Logger } from '../../platform/logger.ts';
import { brokerBinary } from '../../scripts/engines/test-broker.ts';
import { encodeBaselineMessages } from '../baselines.ts';
import { startBenchBroker } from '../bench-broker.ts';
import { batchesOf } from '../events.ts';
import { now } from '../load.ts';
import { MemorySampler, Progress, childRunning, childrenOf, cleanUpOnInterrupt, cleanupAll, num, type Cleanup } from '../util.ts';
import { POOL_EVENTS } from './constants.ts';
import { ingestEvents } from './event-pool.ts';
import { cores, failures, ms, ratio, us } from './format.ts';
import { HttpClients } from './http-clients.ts';
import type { Live, Measured, Probe, Window } from './measures.ts';
import { parseOptions } from './options.ts';
import { connectRawProducer, measureRaw, rawBatchesOf } from './raw-kafkajs.ts';
import { report, type Run } from './report.ts';
import { createPipelineTopics, ingestOnlyConfig, startIngestProcesses, startIngestRuntime } from './server.ts';

function showProgress(progress: Progress, run: number, runs: number, live: Live): void {
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

/** The benchmark: broker, runtime, HTTP clients and the KafkaJS producer, the runs, then the report; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const startedAt = Date.now();
  const nonce = randomBytes(3).toString('hex');
  const logger: Logger = createLogger('warn', process.stderr);
  const progress = new Progress();
  const cleanups: Cleanup[] = [];
  /** The broker of the run, for the report. */
  let brokerName = 'Kafka broker';
  const memory = new MemorySampler();
  memory.start();
  const stopHandlingSignals = cleanUpOnInterrupt(progress, cleanups, 'stopping the runtime and the broker');

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
    const config = ingestOnlyConfig({ brokers: broker.brokers, dataDir, apiKeys: `${apiKey}:${tenant}` });
    if (options.batch > config.maxEventsPerRequest) {
      throw new Error(`--batch ${options.batch} is above the server's ${config.maxEventsPerRequest} events per request (C360_MAX_EVENTS_PER_REQUEST)`);
    }
    if (options.batch * options.concurrency > config.maxInFlightEvents) {
      notes.push(
        `--concurrency x --batch (${num(options.batch * options.concurrency)}) is above C360_MAX_IN_FLIGHT_EVENTS (${num(config.maxInFlightEvents)}): expect 429 answers`,
      );
    }
    await createPipelineTopics(broker, config.topicPrefix);

    progress.note(`${broker.name} at ${broker.brokers}; starting an ingest-only runtime`);
    const { runtime, note } = await startIngestRuntime(config, logger, dataDir, (cleanup) => cleanups.push(cleanup));
    notes.push(note);

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
    const rawBatches = rawBatchesOf(encoded);

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

    const producer = await connectRawProducer(broker.brokers, logger);
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
        const live = (l: Live) => showProgress(progress, run, options.runs, l);
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
    await cleanupAll(cleanups);
    memory.sample();
    memory.stop();
    stopHandlingSignals();
  }
  const ok = report({ options, runs, jsonBytesPerEvent, avroBytesPerEvent, memory, wallSeconds: (Date.now() - startedAt) / 1000, notes, brokerName });
  return ok ? 0 : 1;
}

/** Runs the benchmark with `argv` and exits with its code; a failure is printed to stderr. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`bench:ingest failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
