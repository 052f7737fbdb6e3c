/** What a measure (HTTP or raw, one window) records, and turning its counts into a Measured. */
import { percentile } from '../util.ts';

/** What one measure (HTTP or raw, one window) saw. */
export interface Measured {
  /** Events accepted (HTTP) or acknowledged (raw) by requests completed within the window. */
  events: number;
  requests: number;
  seconds: number;
  eventsPerSecond: number;
  /** Milliseconds of each request completed within the window. */
  latencies: number[];
  p50Ms: number;
  p99Ms: number;
  /** Events answered rejected in a 200 (HTTP). */
  rejected: number;
  status429: number;
  status503: number;
  /** Other statuses, and requests (sends) that failed without an answer. */
  otherFailures: number;
  firstProblem: string | null;
  usage: Usage;
}

/** CPU during the window. */
export interface Usage {
  /** Event-loop utilization of the main thread (the server, or the raw producer): wall time not idle. */
  mainThreadElu: number;
  /** Event-loop utilization of the HTTP client thread (HTTP only). */
  clientThreadElu: number | null;
  /** Cores (CPU seconds per second) used by the main thread, the HTTP client thread, this whole
   * process (every thread: also GC helpers), the broker, and every other process of the machine. */
  mainThreadCores: number;
  clientThreadCores: number;
  processCores: number;
  brokerCores: number;
  otherCores: number;
  /** Main-thread CPU per event counted, in microseconds (set by finish()). */
  mainThreadMicrosPerEvent: number;
}

/** Where CPU time is read: the broker process and the HTTP client thread. */
export interface Probe {
  brokerPid: number | null;
  clientThreads: number[];
  /** With --processes: the processes of the `c360 start` serving HTTP (primary and workers). */
  serverPids: () => number[];
}

export interface Window {
  startAt: number;
  warmupMs: number;
  windowMs: number;
}

/** Live counters of the measure under way, for the progress line. */
export interface Live {
  what: string;
  window: Window;
  /** Events counted in the window so far. */
  inWindow: () => number;
}

/** The counts of one measure, before finish() adds rates, percentiles and CPU. */
export type ClientResult = Omit<Measured, 'seconds' | 'eventsPerSecond' | 'p50Ms' | 'p99Ms' | 'usage'> & { clientThreadElu: number | null };

export function finish(result: ClientResult, window: Window, usage: Usage): Measured {
  const seconds = window.windowMs / 1000;
  const { clientThreadElu: _elu, ...counts } = result;
  return {
    ...counts,
    seconds,
    eventsPerSecond: result.events / seconds,
    p50Ms: percentile(result.latencies, 50),
    p99Ms: percentile(result.latencies, 99),
    usage: { ...usage, mainThreadMicrosPerEvent: result.events > 0 ? (usage.mainThreadCores * seconds * 1e6) / result.events : NaN },
  };
}

