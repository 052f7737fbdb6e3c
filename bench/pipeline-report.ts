/**
 * The report of `c360 bench`: summarizes the measured runs of the embedded and the Kafka path
 * (medians, ratios to the raw baselines, stage work) and prints the tables, the notes and, last,
 * the one JSON line on stdout.
 */
import os from 'node:os';
import type { BaselineResult } from './baselines.ts';
import { benchEvents } from './events.ts';
import { CLIENTS, EVENTS_PER_POST, type PipelineRun, type StageWork } from './pipeline-run.ts';
import { median, mib, num, type MemorySampler } from './util.ts';

/** What one path (embedded or Kafka) measured. */
export interface PathResult {
  eventsPerRun: number;
  capped: string | null;
  warmup: PipelineRun;
  pipeline: PipelineRun[];
  baseline: BaselineResult[];
}

/** The bench as it was run, for the report. */
export interface ReportContext {
  /** --events and --runs. */
  options: { events: number; runs: number };
  /** Target wall time of the whole bench, 0 for none. */
  budgetSeconds: number;
  /** The Kafka path's broker. */
  brokerName: string;
  memory: MemorySampler;
  wallSeconds: number;
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

/** Prints the tables, the notes and the JSON line of both paths on stdout. */
export function report(context: ReportContext, embedded: PathResult, kafka: PathResult): void {
  const { options, brokerName, memory, wallSeconds } = context;
  const budgetSeconds = context.budgetSeconds;
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
  out.push(`wall time: ${seconds(wallSeconds)}${budgetSeconds ? ` (budget ${budgetSeconds} s)` : ''}`);
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
    budgetSeconds,
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
