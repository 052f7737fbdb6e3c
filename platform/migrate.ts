/**
 * Versioned, idempotent migrations: numbered .sql files applied once each, in order, and
 * recorded. Postgres migrations run under an advisory lock so concurrent starts are safe.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { ClickHouseClient } from '@clickhouse/client';

export interface Migration {
  id: string;
  sql: string;
}

export function readMigrations(folder: string, namespace: string): Migration[] {
  return fs
    .readdirSync(folder)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: `${namespace}/${f}`, sql: fs.readFileSync(path.join(folder, f), 'utf8') }));
}

const MIGRATION_LOCK = 360_001;

export async function migratePostgres(pool: pg.Pool, migrations: Migration[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`);
      }
      applied.push(migration.id);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Splits a file into statements at semicolons that end a line. */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** ClickHouse has no transactions: every statement of a migration must be idempotent (IF NOT EXISTS). */
export async function migrateClickHouse(client: ClickHouseClient, database: string, migrations: Migration[]): Promise<string[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (id String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY id`,
  });
  const result = await client.query({ query: `SELECT id FROM ${database}.schema_migrations`, format: 'JSONEachRow' });
  const done = new Set((await result.json<{ id: string }>()).map((r) => r.id));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    for (const statement of statements(migration.sql.replaceAll('{db}', database))) {
      await client.command({ query: statement });
    }
    await client.insert({ table: `${database}.schema_migrations`, values: [{ id: migration.id }], format: 'JSONEachRow' });
    applied.push(migration.id);
  }
  return applied;
}
