/**
 * A short history of this process's own metrics for the console's pipeline health: every
 * interval (a minute by default) the counters are read, and each point of a series is what a
 * counter grew by between two readings (the last point: since the latest reading, live). Lag is
 * a gauge: its points are the value at each reading. An hour is kept. In the distributed mode
 * each process knows its own metrics only; Prometheus scrapes them all (dashboards/).
 */
import type { Metrics } from './metrics.ts';

type Totals = Record<string, number>;

interface Reading {
  at: number;
  events_in: Totals;
  links: Totals;
  blocked_merges: Totals;
  dead_letters: Totals;
  lag: Totals;
}

export type SeriesName = Exclude<keyof Reading, 'at'>;
const COUNTERS: Exclude<SeriesName, 'lag'>[] = ['events_in', 'links', 'blocked_merges', 'dead_letters'];

export interface HealthSeries {
  /** The end of each point's period (ISO times, oldest first); the last is now. */
  minutes: string[];
  series: Record<SeriesName, Record<string, number[]>>;
  /** Each counter's total since the process started. */
  totals: Record<Exclude<SeriesName, 'lag'>, Totals>;
  interval_seconds: number;
}

async function sumBy(metric: { get(): Promise<{ values: { labels: Record<string, string | number>; value: number }[] }> }, key: (labels: Record<string, string | number>) => string | null): Promise<Totals> {
  const out: Totals = {};
  for (const v of (await metric.get()).values) {
    const k = key(v.labels);
    if (k !== null) out[k] = (out[k] ?? 0) + v.value;
  }
  return out;
}

async function read(metrics: Metrics): Promise<Reading> {
  const [events_in, links, blocked_merges, dead_letters, lag] = await Promise.all([
    sumBy(metrics.ingestEvents, (l) => (l.outcome === 'accepted' ? String(l.source) : null)),
    sumBy(metrics.resolverLinks, (l) => String(l.rule)),
    sumBy(metrics.blockedMerges, (l) => String(l.reason)),
    sumBy(metrics.deadLetters, (l) => `${l.stage}: ${l.step}`),
    sumBy(metrics.consumerLag, (l) => String(l.group)),
  ]);
  return { at: Date.now(), events_in, links, blocked_merges, dead_letters, lag };
}

export function createMetricsHistory(metrics: Metrics, options: { intervalMs?: number; keep?: number } = {}) {
  const intervalMs = options.intervalMs ?? 60_000;
  const keep = options.keep ?? 60;
  const readings: Reading[] = [];
  const take = async () => {
    readings.push(await read(metrics));
    if (readings.length > keep + 1) readings.shift();
  };
  const started = take();
  const timer = setInterval(() => void take().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    async series(): Promise<HealthSeries> {
      await started;
      const points = [...readings, await read(metrics)];
      const series = {} as HealthSeries['series'];
      for (const name of COUNTERS) {
        const keys = new Set(points.flatMap((p) => Object.keys(p[name])));
        series[name] = Object.fromEntries([...keys].sort().map((k) => [k, points.slice(1).map((p, i) => Math.max(0, (p[name][k] ?? 0) - (points[i]![name][k] ?? 0)))]));
      }
      const lagKeys = new Set(points.flatMap((p) => Object.keys(p.lag)));
      series.lag = Object.fromEntries([...lagKeys].sort().map((k) => [k, points.slice(1).map((p) => p.lag[k] ?? 0)]));
      const last = points.at(-1)!;
      return {
        minutes: points.slice(1).map((p) => new Date(p.at).toISOString()),
        series,
        totals: { events_in: last.events_in, links: last.links, blocked_merges: last.blocked_merges, dead_letters: last.dead_letters },
        interval_seconds: intervalMs / 1000,
      };
    },
    stop: () => clearInterval(timer),
  };
}

export type MetricsHistory = ReturnType<typeof createMetricsHistory>;
