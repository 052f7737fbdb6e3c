/**
 * `c360 schemas check`: compares the schemas in this folder with what the schema store holds
 * (the registry server of SCHEMA_REGISTRY_URL, else the Postgres of DATABASE_URL or the embedded
 * one) and says, per subject, whether a change is new, unchanged, BACKWARD compatible or refused.
 * `c360 schemas types` regenerates generated.ts. `c360 schemas print` prints a topic's schema.
 */
import type { Config } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { topicSchemas } from './codec.ts';
import { topicNames } from './topics.ts';
import { schemaStoreFor, type SchemaCheck, type SchemaStore } from './schema-store.ts';
import type { ToolPostgres } from '../platform/tool-postgres.ts';

export async function checkSchemas(store: SchemaStore, prefix: string): Promise<SchemaCheck[]> {
  const results: SchemaCheck[] = [];
  for (const { subject, schema } of topicSchemas(topicNames(prefix))) results.push(await store.check(subject, JSON.stringify(schema)));
  return results;
}

export function formatChecks(results: SchemaCheck[]): string {
  const width = Math.max(...results.map((r) => r.subject.length));
  return results
    .map((r) => {
      const where = r.latestVersion === null ? '' : ` (latest registered: version ${r.latestVersion})`;
      const line = `${r.subject.padEnd(width)}  ${r.status}${where}`;
      return r.status === 'incompatible' ? `${line}\n${' '.repeat(width + 2)}${r.reasons.join('\n' + ' '.repeat(width + 2))}` : line;
    })
    .join('\n');
}

/** Runs the check against the deployment's store; exit code 1 when a change would be refused. */
export async function runSchemasCheck(config: Config, withPostgres: ToolPostgres): Promise<number> {
  const report = async (store: SchemaStore) => {
    const results = await checkSchemas(store, config.topicPrefix);
    process.stdout.write(`Schemas of ${store.kind === 'registry' ? config.schemaRegistryUrl : 'the Postgres schema store'} (compatibility BACKWARD):\n${formatChecks(results)}\n`);
    const refused = results.filter((r) => r.status === 'incompatible');
    if (refused.length) process.stdout.write(`\n${refused.length} subject(s) would be refused: make the change BACKWARD compatible (add fields with defaults; do not remove or retype fields).\n`);
    return refused.length ? 1 : 0;
  };
  if (config.schemaRegistryUrl) return report(schemaStoreFor(config.schemaRegistryUrl, null));
  return withPostgres((postgres) => report(schemaStoreFor('', postgres.pool)));
}
