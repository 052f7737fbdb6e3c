/**
 * Per-test engines: a database of its own on the shared Postgres server, a ClickHouse of its
 * own (chDB in a temporary folder, or a uniquely named database on CLICKHOUSE_URL), random
 * topic names. Destructive helpers refuse any database whose name does not say test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createLogger } from '../../platform/logger.ts';
import { startClickHouse, type ClickHouseHandle } from '../../platform/clickhouse.ts';

export const silentLogger = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

function assertTestDatabase(name: string): void {
  if (!/test/.test(name)) throw new Error(`refusing to touch database "${name}": its name does not say test`);
}

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('postgresUrl');
  const name = uniqueName('c360_test');
  assertTestDatabase(name);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestClickHouse extends ClickHouseHandle {
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestClickHouse(): Promise<TestClickHouse> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-test-ch-'));
  const database = uniqueName('c360_test');
  assertTestDatabase(database);
  const handle = await startClickHouse({ url: process.env.CLICKHOUSE_URL ?? '', dataDir, database });
  return {
    ...handle,
    dataDir,
    async drop() {
      await handle.client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
      await handle.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
