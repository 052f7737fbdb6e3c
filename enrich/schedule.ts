/**
 * The scheduled recomputation: rules over time that no event triggers. Every interval, for
 * every tenant, the aggregates and scores of every current profile are computed again (30-day
 * counters roll, recency-based scores decay, loyalty tiers follow 12-month spend, the 24-month
 * inactivity flag is set), then every segment is recalculated for all profiles.
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/logger.ts';
import type { AggregateComputer } from './compute-aggregates.ts';
import { createProfileRefresh } from './refresh-profiles.ts';
import type { SegmentStore } from './segments/store.ts';

export const RECOMPUTE_PAGE = 5_000;

export interface RecomputeDeps {
  clickhouse: ClickHouseHandle;
  aggregates: AggregateComputer;
  segments: SegmentStore;
  logger: Logger;
}

/** One full pass over every tenant; returns profiles recomputed per tenant. */
export async function recomputeEverything(deps: RecomputeDeps, now = new Date()): Promise<Record<string, number>> {
  const db = deps.clickhouse.database;
  const tenants = await (
    await deps.clickhouse.client.query({ query: `SELECT DISTINCT tenant_id FROM ${db}.profiles ORDER BY tenant_id`, format: 'JSONEachRow' })
  ).json<{ tenant_id: string }>();
  const done: Record<string, number> = {};
  const refresh = createProfileRefresh({ aggregates: deps.aggregates, segments: deps.segments });
  for (const { tenant_id: tenant } of tenants) {
    let after = '00000000-0000-0000-0000-000000000000';
    let count = 0;
    for (;;) {
      const page = await (
        await deps.clickhouse.client.query({
          query: `SELECT toString(customer360_id) AS id FROM ${db}.profiles FINAL
                  WHERE tenant_id = {t:String} AND merged_into IS NULL AND customer360_id > {after:UUID}
                  ORDER BY customer360_id LIMIT {n:UInt32}`,
          query_params: { t: tenant, after, n: RECOMPUTE_PAGE },
          format: 'JSONEachRow',
        })
      ).json<{ id: string }>();
      if (page.length === 0) break;
      await refresh(tenant, page.map((r) => r.id), { reason: 'schedule', now, segments: false });
      count += page.length;
      after = page.at(-1)!.id;
      if (page.length < RECOMPUTE_PAGE) break;
    }
    // Every member of every segment at once, those merged away or erased since included.
    await deps.segments.recalculateAll(tenant, 'schedule');
    done[tenant] = count;
  }
  return done;
}

/** Runs recomputeEverything every `intervalMinutes` (0: never); a pass never overlaps the next. */
export function startRecomputeSchedule(deps: RecomputeDeps, intervalMinutes: number): { stop(): Promise<void> } {
  if (intervalMinutes <= 0) return { stop: async () => undefined };
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    const started = Date.now();
    running = recomputeEverything(deps)
      .then((done) => deps.logger.info({ tenants: Object.keys(done).length, profiles: Object.values(done).reduce((a, b) => a + b, 0), ms: Date.now() - started }, 'scheduled recomputation done'))
      .catch((error: Error) => deps.logger.error({ err: error }, 'scheduled recomputation failed; next interval retries'))
      .finally(() => {
        running = null;
      });
  }, intervalMinutes * 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
