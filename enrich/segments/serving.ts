/**
 * The serving copy of segment membership in Postgres (profile_segments): every entry and exit
 * the segment store writes to ClickHouse is applied here too, with the segment's priority, so
 * the read API answers a profile's segments and primary segment in its one Postgres statement
 * (resolver/profile-view.ts), the checkout lookup included. A segment saved with another
 * priority moves its members' rows to it.
 */
import type pg from 'pg';
import type { SegmentMembershipChange } from '../../schemas/types.ts';

export function createSegmentServing(pool: pg.Pool) {
  return {
    async apply(tenantId: string, segmentId: string, priority: number, changes: readonly SegmentMembershipChange[]): Promise<void> {
      const entered = changes.filter((c) => c.change === 'entered').map((c) => c.customer360_id);
      const left = changes.filter((c) => c.change === 'left').map((c) => c.customer360_id);
      if (entered.length) {
        await pool.query(
          `INSERT INTO profile_segments (tenant_id, customer360_id, segment_id, priority) SELECT $1, id, $2, $3 FROM unnest($4::uuid[]) AS id
           ON CONFLICT (tenant_id, customer360_id, segment_id) DO UPDATE SET priority = EXCLUDED.priority`,
          [tenantId, segmentId, priority, entered],
        );
      }
      if (left.length) {
        await pool.query('DELETE FROM profile_segments WHERE tenant_id = $1 AND segment_id = $2 AND customer360_id = ANY($3::uuid[])', [tenantId, segmentId, left]);
      }
    },
    async setPriority(tenantId: string, segmentId: string, priority: number): Promise<void> {
      await pool.query('UPDATE profile_segments SET priority = $3 WHERE tenant_id = $1 AND segment_id = $2 AND priority <> $3', [tenantId, segmentId, priority]);
    },
  };
}

export type SegmentServing = ReturnType<typeof createSegmentServing>;
