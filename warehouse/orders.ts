/** An order in the warehouse: the latest completed order of that ID in a tenant, and who placed it. */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';

export interface OrderRow {
  order_id: string;
  /** The profile the order event was linked to (it may since have been merged into another). */
  customer360_id: string;
  occurred_at: string;
  amount: number;
  currency: string;
  source: string;
}

export async function orderOf(clickhouse: ClickHouseHandle, tenantId: string, orderId: string): Promise<OrderRow | null> {
  const result = await clickhouse.client.query({
    query: `SELECT order_id, toString(customer360_id) AS customer360_id, occurred_at, amount, currency, source
            FROM ${clickhouse.database}.events
            WHERE tenant_id = {t:String} AND order_id = {o:String} AND type = 'order_completed'
            ORDER BY occurred_at DESC, inserted_at DESC LIMIT 1`,
    query_params: { t: tenantId, o: orderId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<OrderRow>();
  return row ? { ...row, amount: Number(row.amount) } : null;
}
