/**
 * warehouse/: ClickHouse access (migrations, the writer, the timeline reader, the SQL guard).
 * What other folders may use of it.
 */
export { SqlRefusal, guardedStatement, loadSqlCatalog, type SqlCatalog } from './sql-guard.ts';
export { MAX_TIMELINE_PAGE, createTimelineReader, decodeCursor } from './timeline.ts';
export { type WarehouseWriter } from './writer.ts';
export { eraseFromWarehouse, warehouseRowsOf } from './person-rows.ts';
export { orderOf, type OrderRow } from './orders.ts';
