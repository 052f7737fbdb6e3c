/**
 * Postgres for a command-line tool (`c360 keys`, `c360 schemas check`): DATABASE_URL, else the
 * embedded Postgres of the data folder (the running one of a `c360 start`, or started for the
 * command), with the migrations applied.
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { migratePostgres } from './migrate.ts';
import { runningEmbeddedUrl, startPostgres, type PostgresHandle } from './postgres.ts';

export async function withToolPostgres<T>(config: Config, logger: Logger, work: (postgres: PostgresHandle) => Promise<T>): Promise<T> {
  const { postgresMigrations } = await import('./runtime.ts');
  const databaseUrl = config.databaseUrl || runningEmbeddedUrl(config.dataDir, config.embeddedPostgresPort) || '';
  const postgres = await startPostgres({ databaseUrl, dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
  try {
    await migratePostgres(postgres.pool, postgresMigrations());
    return await work(postgres);
  } finally {
    await postgres.close();
  }
}
