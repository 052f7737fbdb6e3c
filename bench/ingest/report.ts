/** The report: markdown tables of throughput, latency and CPU on stdout, then one JSON line. */
import os from 'node:os';
import { median, mib, num, type MemorySampler } from '../util.ts';
import { PARTITIONS, POOL_EVENTS, TARGET_EVENTS_PER_SECOND, TARGET_RATIO } from './constants.ts';
import { MIX } from './event-pool.ts';
import { cores, failures, markdownTable, ms, perSecond, ratio, us } from './format.ts';
import type { Measured } from './measures.ts';
import type { Options } from './options.ts';

export interface Run {
  order: ('http' | 'raw')[];
  http: Measured;
  raw: Measured;
  ratio: number;
}

export interface ReportInput {
  options: Options;
  runs: Run[];
  jsonBytesPerEvent: number;
  avroBytesPerEvent: number;
  memory: MemorySampler;
  wallSeconds: number;
  notes: string[];
  /** The broker of the run: "Apache Kafka 4.1.1" or "Kafka test broker (mock cluster)". */
  brokerName: string;
}

export function report(input: ReportInput): boolean {
  const { options, runs, brokerName } = input;
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
