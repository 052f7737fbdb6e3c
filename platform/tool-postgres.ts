/**
 * Postgres for a command-line tool (`c360 keys`, `c360 schemas check`, `c360 identity estimate`,
 * `c360 dedupe`): DATABASE_URL, else the embedded Postgres of the data folder (the running one
 * of a `c360 start`, or started for the command), with the migrations it is given applied.
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { migratePostgres, type Migration } from './migrate.ts';
import { runningEmbeddedUrl, startPostgres, type PostgresHandle } from './postgres.ts';

/** Runs work on the tool's Postgres and closes it afterwards. */
export type ToolPostgres = <T>(work: (postgres: PostgresHandle) => Promise<T>) => Promise<T>;

export function toolPostgres(config: Config, logger: Logger, migrations: () => Migration[]): ToolPostgres {
  return async (work) => {
    const databaseUrl = config.databaseUrl || runningEmbeddedUrl(config.dataDir, config.embeddedPostgresPort) || '';
    const postgres = await startPostgres({ databaseUrl, dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
    try {
      await migratePostgres(postgres.pool, migrations());
      return await work(postgres);
    } finally {
      await postgres.close();
    }
  };
}
