/**
 * One measured run of the `c360 bench` pipeline on a started runtime: POSTs a run's events
 * with concurrent HTTP clients, waits until ClickHouse holds every one of them, and returns
 * its rates, POST latencies, profile count and the work of each stage during the run.
 */
import type { Runtime } from '../app/runtime.ts';
import { batchesOf, type benchEvents } from './events.ts';
import { now, prepareLoad } from './load.ts';
import { num, percentile, waitUntil, type Progress } from './util.ts';

export const EVENTS_PER_POST = 100;
export const CLIENTS = 8;
/** A run fails when the ClickHouse row count has not moved for this long. */
const STALL_MS = 180_000;

export interface PipelineRun {
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

export interface StageWork {
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
export async function pipelineRun(
  runtime: Runtime,
  progress: Progress,
  options: { label: string; tenant: string; apiKey: string; events: ReturnType<typeof benchEvents>['events'] },
): Promise<PipelineRun> {
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
