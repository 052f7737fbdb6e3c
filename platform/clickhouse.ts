/**
 * ClickHouse: a server named by CLICKHOUSE_URL, or chDB (ClickHouse as a library) in the data
 * folder. The same @clickhouse/client code talks to both. Queries name tables with their
 * database ("c360.events") because chDB ignores the client's default database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

/** A time as ClickHouse reads DateTime64(3) text: "2026-01-31 12:00:00.000" (UTC). */
export const clickhouseTime = (t: number | Date): string => new Date(t).toISOString().replace('T', ' ').replace('Z', '');

export interface ClickHouseHandle {
  client: ClickHouseClient;
  database: string;
  embedded: boolean;
  close(): Promise<void>;
}

export interface ClickHouseOptions {
  url: string;
  dataDir: string;
  database: string;
}

export async function startClickHouse(options: ClickHouseOptions): Promise<ClickHouseHandle> {
  if (options.url) {
    const client = createClient({ url: options.url, request_timeout: 60_000, clickhouse_settings: { date_time_input_format: 'best_effort' } });
    return { client, database: options.database, embedded: false, close: () => client.close() };
  }
  const { createChdbConnection } = await import('chdb/connection');
  const dir = path.resolve(options.dataDir, 'clickhouse');
  fs.mkdirSync(dir, { recursive: true });
  // chdb types its connection against its own copy of @clickhouse/client-common.
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  return { client, database: options.database, embedded: true, close: () => client.close() };
}
