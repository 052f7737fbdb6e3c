/**
 * Small helpers of the benchmark: statistics, a progress line on stderr, memory sampling of
 * this process and of its child processes (embedded Postgres, the Kafka test broker), waiting
 * with a stall timeout, a free TCP port.
 */
import fs from 'node:fs';
import net from 'node:net';

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

function childrenOf(root: number): number[] {
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
