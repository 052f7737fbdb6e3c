/**
 * The recomputation of profiles, one step for the enrich stage and the schedule: the aggregates
 * and scores of the profiles the given IDs belong to now (written to ClickHouse and the serving
 * copy), then their segment memberships.
 */
import type { ProfileAggregates, Scores } from './aggregate-fields.ts';
import type { AggregateComputer } from './compute-aggregates.ts';
import type { SegmentStore } from './segments/store.ts';

export interface RefreshOptions {
  /** Why memberships changed, in their history. */
  reason: string;
  /** The end of the rolling windows; the time of the computation by default. */
  now?: Date;
  /** false: leave the memberships to the caller (the schedule recalculates a whole tenant at once). */
  segments?: boolean;
}

export type ProfileRefresh = (tenantId: string, profileIds: string[], options: RefreshOptions) => Promise<(ProfileAggregates & Partial<Scores>)[]>;

export function createProfileRefresh(deps: { aggregates: AggregateComputer; segments?: SegmentStore }): ProfileRefresh {
  return async (tenantId, profileIds, options) => {
    const rows = await deps.aggregates.recompute(tenantId, profileIds, options.now);
    if (deps.segments && options.segments !== false && rows.length) {
      await deps.segments.recalculateAll(tenantId, options.reason, rows.map((r) => r.customer360_id));
    }
    return rows;
  };
}
