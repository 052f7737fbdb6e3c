import type { Config } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { startPostgres } from '../platform/postgres.ts';
import { startClickHouse } from '../platform/clickhouse.ts';
import { migrateClickHouse, migratePostgres } from '../platform/migrate.ts';
import { clickhouseMigrations, postgresMigrations } from './migrations.ts';

/** `c360 migrate`: brings Postgres and ClickHouse to the current schema, then exits. */
export async function migrate(config: Config, logger: Logger): Promise<void> {
  const postgres = await startPostgres({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
  try {
    const applied = await migratePostgres(postgres.pool, postgresMigrations());
    logger.info({ applied }, 'Postgres is up to date');
  } finally {
    await postgres.close();
  }
  const clickhouse = await startClickHouse({ url: config.clickhouseUrl, dataDir: config.dataDir, database: config.clickhouseDatabase });
  try {
    const applied = await migrateClickHouse(clickhouse.client, clickhouse.database, clickhouseMigrations());
    logger.info({ applied }, 'ClickHouse is up to date');
  } finally {
    await clickhouse.close();
  }
}
