/**
 * Starts the whole pipeline in the test process, on the test engines: the embedded log on a
 * test database (or Kafka when kafkaBrokers is given), ClickHouse in a temporary chDB folder
 * (or CLICKHOUSE_URL), HTTP on a random port. On Kafka the schemas go to the tests' Schema
 * Registry server, as a distributed deployment's do (Postgres where no server runs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../platform/config.ts';
import { startRuntime, type Runtime } from '../../app/runtime.ts';
import { inject } from 'vitest';
import { createTestDatabase, silentLogger, uniqueName, type TestDatabase } from './engines.ts';

export const KEY_A = 'key_tenant_a_0001';
export const KEY_B = 'key_tenant_b_0002';
/** A key of tenant A that may send only POS events (role ingest, as a key limited to sources is). */
export const KEY_A_POS = 'key_tenant_a_pos_3';
/** Keys of tenant A with the roles read and ingest (every source). KEY_A is admin. */
export const KEY_A_READ = 'key_tenant_a_read_4';
export const KEY_A_INGEST = 'key_tenant_a_ingest_5';

export interface TestRuntime {
  runtime: Runtime;
  db: TestDatabase;
  url: string;
  request(method: string, route: string, key: string | null, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startTestRuntime(overrides: Partial<Config> = {}): Promise<TestRuntime> {
  const db = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-test-rt-'));
  const config = loadConfig(
    { CLICKHOUSE_URL: process.env.CLICKHOUSE_URL },
    {
      databaseUrl: db.url,
      dataDir,
      port: 0,
      host: '127.0.0.1',
      apiKeys: `${KEY_A}:tenant_a,${KEY_B}:tenant_b,${KEY_A_POS}:tenant_a:pos,${KEY_A_READ}:tenant_a:read,${KEY_A_INGEST}:tenant_a:ingest`,
      clickhouseDatabase: uniqueName('c360_test'),
      topicPrefix: uniqueName('c360test'),
      retryInitialMs: 50,
      retryMaxMs: 1000,
      schemaRegistryUrl: overrides.kafkaBrokers ? inject('schemaRegistryUrl') : '',
      ...overrides,
    },
  );
  const runtime = await startRuntime(config, silentLogger());
  const url = runtime.url!;
  return {
    runtime,
    db,
    url,
    async request(method, route, key, body) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async stop() {
      await runtime.stop();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
