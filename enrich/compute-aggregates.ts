/**
 * Commerce aggregates of profiles, computed in ClickHouse from their events and the events of
 * every profile merged into them, and written to profile_aggregates.
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';

/** Event types that count as a completed order. */
export const ORDER_TYPES = ['order_completed'];

export interface ProfileAggregates {
  customer360_id: string;
  orders_count: number;
  total_revenue: number;
  events_count: number;
  first_seen_at: string | null;
  last_seen_at: string | null;
}

export function createAggregateComputer(ch: ClickHouseHandle) {
  const db = ch.database;
  return {
    /**
     * Recomputes and stores the aggregates of the profiles that the given profile IDs belong
     * to now (an ID merged away counts for its survivor), within one tenant.
     */
    async recompute(tenantId: string, profileIds: string[]): Promise<ProfileAggregates[]> {
      if (profileIds.length === 0) return [];
      const current = await ch.client.query({
        query: `SELECT DISTINCT toString(argMax(current_id, changed_at)) AS id FROM ${db}.profile_id_map
                WHERE tenant_id = {tenant:String} AND profile_id IN {ids:Array(UUID)} GROUP BY profile_id`,
        query_params: { tenant: tenantId, ids: profileIds },
        format: 'JSONEachRow',
      });
      const currentIds = (await current.json<{ id: string }>()).map((r) => r.id);
      if (currentIds.length === 0) return [];
      const result = await ch.client.query({
        query: `
          WITH ids AS (
            SELECT profile_id, argMax(current_id, changed_at) AS current_id
            FROM ${db}.profile_id_map
            WHERE tenant_id = {tenant:String}
              AND profile_id IN (
                SELECT profile_id FROM ${db}.profile_id_map
                WHERE tenant_id = {tenant:String} AND current_id IN {ids:Array(UUID)})
            GROUP BY profile_id
            HAVING current_id IN {ids:Array(UUID)}
          )
          SELECT
            toString(ids.current_id) AS customer360_id,
            toUInt32(countIf(e.event_type IN {orders:Array(String)})) AS orders_count,
            sumIf(e.event_amount, e.event_type IN {orders:Array(String)}) AS total_revenue,
            toUInt32(count()) AS events_count,
            min(e.event_time) AS first_seen_at,
            max(e.event_time) AS last_seen_at
          FROM (
            SELECT event_id, any(customer360_id) AS profile_id, any(type) AS event_type, any(amount) AS event_amount, any(occurred_at) AS event_time
            FROM ${db}.events
            WHERE tenant_id = {tenant:String} AND customer360_id IN (SELECT profile_id FROM ids)
            GROUP BY event_id
          ) AS e
          INNER JOIN ids ON ids.profile_id = e.profile_id
          GROUP BY ids.current_id`,
        query_params: { tenant: tenantId, ids: currentIds, orders: ORDER_TYPES },
        format: 'JSONEachRow',
      });
      const rows = await result.json<ProfileAggregates>();
      const computedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
      if (rows.length) {
        await ch.client.insert({
          table: `${db}.profile_aggregates`,
          format: 'JSONEachRow',
          values: rows.map((r) => ({ tenant_id: tenantId, ...r, computed_at: computedAt })),
        });
      }
      return rows;
    },
  };
}

export type AggregateComputer = ReturnType<typeof createAggregateComputer>;
