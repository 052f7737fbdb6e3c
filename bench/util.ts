/**
 * Small helpers of the benchmarks: statistics, a progress line on stderr, memory and CPU
 * sampling of this process and of its child processes (embedded Postgres, the Kafka test
 * broker), waiting with a stall timeout, a free TCP port, the Kafka test broker binary.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { brokerBinary } from '../scripts/engines/test-broker.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Formats a number with thousands separators and `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const mib = (bytes: number) => `${num(bytes / 1024 / 1024)} MiB`;

/**
 * Seeded people's identifiers in the graph, for the people numbered from..to (their profiles
 * have ID md5('p' || i)): email `person<i>@mail.test`, phone `+1415` and 2,000,000 + i.
 */
export async function seedIdentifiers(pool: pg.Pool, tenant: string, from: number, to: number): Promise<void> {
  await pool.query(
    `INSERT INTO identifiers (tenant_id, type, source, value, customer360_id, first_seen, last_seen)
     SELECT $1, 'email', '', 'person' || i || '@mail.test', md5('p' || i)::uuid, now(), now() FROM generate_series($2::int, $3::int) AS i`,
    [tenant, from, to],
  );
  await pool.query(
    `INSERT INTO identifiers (tenant_id, type, source, value, customer360_id, first_seen, last_seen)
     SELECT $1, 'phone', '', '+1415' || lpad((2000000 + (i % 7000000))::text, 7, '0'), md5('p' || i)::uuid, now(), now()
       FROM generate_series($2::int, $3::int) AS i ON CONFLICT DO NOTHING`,
    [tenant, from, to],
  );
}

/**
 * One progress line on stderr: rewritten in place on a terminal, a line every 5 s otherwise
 * (logs, CI). `set` replaces what the line reports; `note` prints a line that stays.
 */
export class Progress {
  private render: (() => string) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastPlain = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = Date.now();

  set(render: () => string): void {
    this.render = render;
    this.timer ??= setInterval(() => this.draw(false), 500);
    this.timer.unref();
    this.draw(true);
  }

  private prefix(): string {
    const s = Math.round((Date.now() - this.started) / 1000);
    return `[bench ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}]`;
  }

  private draw(force: boolean): void {
    if (!this.render) return;
    const line = `${this.prefix()} ${this.render()}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 160) - 1)}`);
    } else if (force || Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }

  note(message: string): void {
    this.clear();
    process.stderr.write(`${this.prefix()} ${message}\n`);
  }

  clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.render = null;
    this.clear();
  }
}

/** Every descendant process of `root` (Linux: read from /proc). */
export function childrenOf(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and brackets: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // The process ended meanwhile.
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    for (const child of parents.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** Proportional set size (shared pages divided among their users), else RSS, in bytes. */
function pssOf(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // fall through
  }
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples, once a second, the RSS of this process and the summed PSS of its descendants
 * (embedded Postgres and its backends, the Kafka test broker). Linux only; elsewhere the
 * children read 0. The process's own peak comes from the kernel (getrusage maxrss).
 */
export class MemorySampler {
  peakChildren = 0;
  peakTotal = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly linux = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  sample(): void {
    const own = process.memoryUsage.rss();
    const children = this.linux ? childrenOf(process.pid).reduce((sum, pid) => sum + pssOf(pid), 0) : 0;
    this.peakChildren = Math.max(this.peakChildren, children);
    this.peakTotal = Math.max(this.peakTotal, own + children);
  }

  /** Peak RSS of this process (Node, chDB, the HTTP client thread), in bytes. */
  peakOwn(): number {
    return process.resourceUsage().maxRSS * 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * Resolves when `done()` is true, polling every `everyMs`. Fails when `progress()` has not
 * changed for `stallMs`, naming `what`.
 */
export async function waitUntil(options: {
  done: () => Promise<boolean> | boolean;
  progress: () => number;
  what: string;
  everyMs?: number;
  stallMs?: number;
}): Promise<void> {
  const every = options.everyMs ?? 100;
  const stall = options.stallMs ?? 120_000;
  let last = options.progress();
  let lastChange = Date.now();
  for (;;) {
    if (await options.done()) return;
    const current = options.progress();
    if (current !== last) {
      last = current;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stall) {
      throw new Error(`${options.what}: no progress for ${Math.round(stall / 1000)} s (stuck at ${current})`);
    }
    await sleep(every);
  }
}

/** Clock ticks per second of /proc CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process, or one of its threads, has used so far, from /proc; 0 when unknown. */
export function cpuSecondsOf(pid: number, tid?: number): number {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name start at field 3 (state): utime is field 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Thread IDs of a process (Linux), empty elsewhere. */
export function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Busy and total CPU seconds of the whole machine so far (every process, every core), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3]! + ticks[4]!; // idle + iowait
    return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** The descendant process running `binary`, or null. */
export function childRunning(binary: string): number | null {
  for (const pid of childrenOf(process.pid)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`) === binary) return pid;
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return null;
}

/** Builds the Kafka test broker (node scripts/prepare-test-engines.js) when it is missing. */
export function ensureBrokerBinary(note: (message: string) => void): void {
  if (fs.existsSync(brokerBinary)) return;
  note('the Kafka test broker is not built yet: running node scripts/prepare-test-engines.js');
  const env = { ...process.env };
  delete env.KAFKA_BROKERS; // the script skips the build when a broker is named
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts/prepare-test-engines.js')], { stdio: ['ignore', 2, 2], env });
  } catch (error) {
    throw new Error(`could not build the Kafka test broker (node scripts/prepare-test-engines.js failed: ${(error as Error).message}); it needs gcc and librdkafka-dev`);
  }
  if (!fs.existsSync(brokerBinary)) throw new Error(`the Kafka test broker is missing at ${brokerBinary} after node scripts/prepare-test-engines.js`);
}

/**
 * The test broker's helper adds an 'exit' listener to the broker process per command; many
 * topics would trip Node's leak warning, which is noise here.
 */
export async function withListenerHeadroom<T>(work: () => Promise<T>): Promise<T> {
  const previous = EventEmitter.defaultMaxListeners;
  EventEmitter.defaultMaxListeners = Math.max(previous, 10_000);
  try {
    return await work();
  } finally {
    EventEmitter.defaultMaxListeners = previous;
  }
}

export type Cleanup = () => Promise<void>;

/** Runs the cleanups, last added first; a failing one is reported and the rest still run. */
export async function cleanupAll(cleanups: Cleanup[]): Promise<void> {
  while (cleanups.length) {
    const cleanup = cleanups.pop()!;
    await cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`));
  }
}

/**
 * On SIGINT or SIGTERM (once): stops the progress line, says `stopping`, runs the cleanups and
 * exits 130. Returns the function that removes the handlers when the bench ends normally.
 */
export function cleanUpOnInterrupt(progress: Progress, cleanups: Cleanup[], stopping: string): () => void {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    progress.stop();
    process.stderr.write(`bench: interrupted, ${stopping}\n`);
    void cleanupAll(cleanups).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
