/**
 * The warehouse's part of a data-subject request (api/privacy-service.ts orchestrates): a
 * person's rows in ClickHouse, and their erasure from every table, derived ones included.
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';

/** ClickHouse tables holding a person's rows, and the profile ID columns to erase them by. */
const WAREHOUSE_TABLES: [string, string[]][] = [
  ['events', ['customer360_id']],
  ['events_by_profile', ['customer360_id']],
  ['profiles', ['customer360_id']],
  ['profile_aggregates', ['customer360_id']],
  ['profile_daily_activity_state', ['customer360_id']],
  ['profile_id_map', ['profile_id', 'current_id']],
  ['segment_membership', ['customer360_id']],
  ['segment_membership_history', ['customer360_id']],
];

/** The aggregates, events and segment history of the profiles `ids`. */
export async function warehouseRowsOf(clickhouse: ClickHouseHandle, tenantId: string, ids: string[]) {
  const db = clickhouse.database;
  const rows = async <T>(query: string): Promise<T[]> => {
    const result = await clickhouse.client.query({ query, query_params: { t: tenantId, ids }, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    return result.json<T>();
  };
  const [aggregates, events, segments] = await Promise.all([
    rows(`SELECT * EXCEPT (tenant_id) FROM ${db}.profile_aggregates FINAL WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)}`),
    rows<{ properties: string }>(
      `SELECT event_id, any(occurred_at) AS occurred_at, any(source) AS source, any(type) AS type, toString(any(customer360_id)) AS linked_profile_id, any(amount) AS amount, any(currency) AS currency, any(properties) AS properties
       FROM ${db}.events_by_profile WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)} GROUP BY event_id ORDER BY occurred_at`,
    ),
    rows(`SELECT segment_id, change, changed_at, reason FROM ${db}.segment_membership_history WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)} ORDER BY changed_at`),
  ]);
  return { aggregates: aggregates[0] ?? null, events: events.map((e) => ({ ...e, properties: JSON.parse(e.properties) as unknown })), segment_history: segments };
}

/** Erases the profiles `ids` from every warehouse table; synchronous, so its end means done. */
export async function eraseFromWarehouse(clickhouse: ClickHouseHandle, tenantId: string, ids: string[]): Promise<void> {
  for (const [table, columns] of WAREHOUSE_TABLES) {
    await clickhouse.client.command({
      query: `ALTER TABLE ${clickhouse.database}.${table} DELETE WHERE tenant_id = {t:String} AND (${columns.map((c) => `${c} IN {ids:Array(UUID)}`).join(' OR ')})`,
      query_params: { t: tenantId, ids },
      clickhouse_settings: { mutations_sync: '2' },
    });
  }
}
