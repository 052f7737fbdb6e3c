/**
 * The report of the read API bench on stdout: a markdown table per part (medians), the
 * process's seeding time, memory, CPU and wall time, and last one JSON line with every figure.
 */
import os from 'node:os';
import { median, mib, num, type MemorySampler } from '../util.ts';
import { MAX_SOCKETS, POLL_MS } from './constants.ts';
import type { CpuShare } from './cpu.ts';
import type { EffectResult, EffectTrial } from './effect.ts';
import { msFormat } from './format.ts';
import type { LookupPart, LookupRun } from './lookup.ts';
import type { Options } from './options.ts';
import type { ExportRun } from './segment-export.ts';

export function report(
  options: Options,
  seeding: { graphSeconds: number; warehouseSeconds: number },
  lookup: LookupPart,
  exports: ExportRun[],
  effects: EffectResult[],
  memory: MemorySampler,
  wallSeconds: number,
  cpu: CpuShare,
): void {
  const ms = msFormat(options.timeoutMs);
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
