/**
 * Part 1 of the read API bench, the checkout lookup: open-loop runs at `--rps` for `--seconds`
 * (after a warm-up), then closed loops of one client and of `--concurrency` clients.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { num, percentile, sleep, type Progress } from '../util.ts';
import type { Client, LookupResult } from './client.ts';
import { cpuMark, cpuShare, cpuText, type CpuShare } from './cpu.ts';
import { msFormat } from './format.ts';
import type { Options } from './options.ts';

/** Pause after a lookup run, so that requests the server still holds from it do not weigh on the next. */
const SETTLE_MS = 3000;

export interface LookupRun {
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

export interface CapacityRun {
  concurrency: number;
  answersPerSecond: number;
  ok: number;
  errors: number;
  firstError: string | null;
  p50: number;
  p99: number;
  cpu: CpuShare;
}

export interface LookupPart {
  warmup: LookupRun | null;
  runs: LookupRun[];
  /** Closed loops: one client (the latency of a lookup on an idle server), then `--concurrency` (the most the server answers). */
  closedLoops: CapacityRun[];
}

export async function checkoutLookup(client: Client, options: Options, progress: Progress): Promise<LookupPart> {
  const ms = msFormat(options.timeoutMs);
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
