/**
 * The embedded mode as a user runs it (`c360 start`, its own embedded Postgres and chDB):
 * a kill -9 in the middle of a load loses no acknowledged event, and SIGTERM drains the
 * in-flight batches and commits their positions before the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/global-setup.ts';
import { waitFor } from './support/engines.ts';

const KEY = 'durability_key_0001';

describe('embedded mode across kill -9 and SIGTERM', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-test-kill-'));
  let child: ChildProcess | null = null;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let pgPort: number;

  async function startProcess(): Promise<ChildProcess> {
    const process_ = spawn(process.execPath, ['bin/c360.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    process_.stdout!.on('data', (d) => (output += d));
    process_.stderr!.on('data', (d) => (output += d));
    await waitFor(
      async () => {
        if (process_.exitCode !== null) throw new Error(`c360 start exited with ${process_.exitCode}: ${output.slice(-2000)}`);
        return fetch(`${url}/healthz`).then((r) => r.ok).catch(() => false);
      },
      90_000,
      'c360 start to be healthy',
    );
    return process_;
  }

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event when killed with SIGKILL under load, and drains on SIGTERM', async () => {
    const port = await freePort();
    pgPort = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      C360_DATA_DIR: dataDir,
      C360_EMBEDDED_POSTGRES_PORT: String(pgPort),
      C360_API_KEYS: `${KEY}:durable`,
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      CLICKHOUSE_URL: '',
      KAFKA_BROKERS: '',
    };
    child = await startProcess();

    // Load: 4 clients posting batches of 50 until the process dies.
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;
    const client = async (c: number) => {
      for (let b = 0; !stop && b < 200; b++) {
        const events = Array.from({ length: 50 }, (_, i) => {
          const n = sent++;
          return {
            event_id: `k-${c}-${b}-${i}`,
            source: 'pos',
            type: 'order_completed',
            occurred_at: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
            identity: { email: `buyer${n % 500}@mail.test` },
            properties: { order_id: `o-${n}`, currency: 'USD', total_minor: 100 },
          };
        });
        try {
          const r = await fetch(`${url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(events),
          });
          const body = (await r.json()) as { results: { event_id: string; status: string }[] };
          for (const result of body.results) if (result.status === 'accepted') acknowledged.add(result.event_id);
        } catch {
          return; // connection reset by the kill: these events were never acknowledged
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(client));
    await waitFor(async () => acknowledged.size >= 2000, 60_000, '2000 acknowledged events');
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    stop = true;
    await load;
    expect(acknowledged.size).toBeGreaterThanOrEqual(2000);

    // Restart on the same folder: it takes over the Postgres left running and resumes.
    child = await startProcess();
    const db = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${pgPort}/c360` });
    await db.connect();
    try {
      const resolved = await waitFor(
        async () => {
          const r = await db.query<{ event_id: string }>("SELECT event_id FROM event_links WHERE tenant_id = 'durable'");
          const ids = new Set(r.rows.map((row) => row.event_id));
          return [...acknowledged].every((id) => ids.has(id)) ? ids : null;
        },
        90_000,
        'every acknowledged event to be resolved after the restart',
      );
      expect([...acknowledged].filter((id) => !resolved.has(id))).toEqual([]);

      const sample = await fetch(`${url}/v1/profiles?email=buyer0@mail.test`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(sample.status).toBe(200);

      // SIGTERM: in-flight batches finish and their positions are committed before exit.
      await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(
          Array.from({ length: 200 }, (_, i) => ({
            event_id: `term-${i}`,
            source: 'crm',
            type: 'contact_updated',
            occurred_at: '2026-03-01T00:00:00Z',
            identity: { email: `late${i}@mail.test` },
          })),
        ),
      });
      await waitFor(
        async () => (await db.query("SELECT count(*)::int AS n FROM event_links WHERE tenant_id = 'durable' AND event_id LIKE 'term-%'")).rows[0].n === 200,
        30_000,
        'the last events to be resolved',
      );
    } finally {
      await db.end();
    }
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = null;

    // Start once more: the resolver handles nothing again (its positions were committed before
    // the exit), and every group reaches the end of every partition.
    child = await startProcess();
    const db2 = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${pgPort}/c360` });
    await db2.connect();
    try {
      await waitFor(
        async () => {
          const lag = await db2.query<{ lag: string }>(
            `SELECT coalesce(sum(p.next_offset - coalesce(c."offset", 0)), 0)::text AS lag
             FROM transport_partitions p
             JOIN (SELECT DISTINCT group_id, topic FROM transport_positions) g ON g.topic = p.topic
             LEFT JOIN transport_positions c ON c.group_id = g.group_id AND c.topic = p.topic AND c.partition = p.partition`,
          );
          return lag.rows[0]!.lag === '0';
        },
        60_000,
        'every consumer group to reach the end of the log',
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).not.toMatch(/c360_stage_messages_total\{stage="resolver",outcome="ok"\} [1-9]/);
    } finally {
      await db2.end();
    }
  }, 300_000);
});
