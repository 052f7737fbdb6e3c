/**
 * `c360`: the one entry point of every mode and tool.
 */
import { Command, Option } from 'commander';
import { ConfigError, defaults, descriptions, environmentNames, loadConfig, type Config } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { toolPostgres } from '../platform/tool-postgres.ts';
import { postgresMigrations } from './migrations.ts';
import { startRuntime } from './runtime.ts';

async function start(options: { demo?: boolean; services?: string; demoPeople?: string }): Promise<void> {
  const overrides: Partial<Config> = options.services ? { services: options.services } : {};
  const config = loadConfig(process.env, overrides);
  const logger = createLogger(config.logLevel);
  if (config.ingestProcesses > 1) {
    const { isIngestWorker, runIngestPrimary } = await import('../platform/ingest-cluster.ts');
    if (!isIngestWorker()) {
      const url = await runIngestPrimary(config, logger);
      process.stdout.write(`\nCustomer 360 ingest is running (${config.ingestProcesses} processes on one port)\n  API:       ${url}   (health: ${url}/healthz)\n\n`);
      return;
    }
  }
  const runtime = await startRuntime(config, logger);
  const worker = config.ingestProcesses > 1;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining in-flight batches');
    await runtime.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (worker) {
    // One of several ingest processes: the primary prints the banner.
    const { reportReady } = await import('../platform/ingest-cluster.ts');
    reportReady(runtime.url);
    return;
  }

  const lines = [
    '',
    `Customer 360 is running (${runtime.mode} mode: ${[...runtime.services].join(', ')})`,
  ];
  if (runtime.url) {
    lines.push(`  API:       ${runtime.url}   (health: ${runtime.url}/healthz, metrics: ${runtime.url}/metrics)`);
    if (runtime.services.has('api')) lines.push(`  Console:   ${runtime.url}/console/   (sign in with a read or admin key)`);
  }
  if (runtime.devApiKey) {
    lines.push(`  API key:   ${runtime.devApiKey}   (tenant "demo"; set C360_API_KEYS for your own)`);
  }
  if (runtime.url) {
    const key = runtime.devApiKey ?? '<your key>';
    lines.push(
      '  Send:      curl -s -X POST ' + runtime.url + '/v1/events -H "Authorization: Bearer ' + key + '" -H "content-type: application/json" \\',
      `               -d '[{"event_id":"e1","source":"crm","type":"contact_created","occurred_at":"2026-01-01T10:00:00Z","identity":{"email":"ann@shop.test"},"traits":{"first_name":"Ann"}}]'`,
      `  Look up:   curl -s "${runtime.url}/v1/profiles?email=ann@shop.test" -H "Authorization: Bearer ${key}"`,
    );
  }
  if (runtime.mode === 'embedded') lines.push(`  Data:      ${config.dataDir}/ (embedded Postgres and chDB)`);
  process.stdout.write(`${lines.join('\n')}\n\n`);

  if (options.demo && runtime.url && runtime.devApiKey !== null) {
    const { feedDemoData } = await import('../ingest/demo-data.ts');
    const people = Number(options.demoPeople ?? 200);
    const summary = await feedDemoData({ url: runtime.url, apiKey: runtime.devApiKey, people, logger });
    process.stdout.write(
      `Demo data: ${summary.accepted} events from CRM, POS, web and messaging for ${people} people were accepted.\n` +
        `  Try:       curl -s "${runtime.url}/v1/profiles?email=${encodeURIComponent(summary.sampleEmail)}" -H "Authorization: Bearer ${runtime.devApiKey}"\n\n`,
    );
  }
}

function printConfig(): void {
  const rows = (Object.keys(defaults) as (keyof Config)[]).map(
    (key) => `| \`${environmentNames[key]}\` | \`${String(defaults[key]) || '(unset)'}\` | ${descriptions[key]} |`,
  );
  process.stdout.write(['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n');
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('c360').description('Customer 360: streaming identity resolution and unified profiles');

  program
    .command('start')
    .description('run the pipeline (embedded by default; distributed when KAFKA_BROKERS is set)')
    .option('--demo', 'feed a synthetic multi-source data set once the pipeline is up')
    .option('--demo-people <n>', 'people in the demo data set', '200')
    .addOption(new Option('--services <list>', 'services of this process (ingest,resolver,enrich,api)'))
    .action(start);

  program
    .command('demo')
    .description('send the synthetic multi-source data set to a running server')
    .requiredOption('--url <url>', 'base URL of the server', 'http://127.0.0.1:8080')
    .requiredOption('--key <apiKey>', 'API key')
    .option('--people <n>', 'number of people', '200')
    .action(async (options: { url: string; key: string; people: string }) => {
      const { feedDemoData } = await import('../ingest/demo-data.ts');
      const logger = createLogger(loadConfig().logLevel);
      const summary = await feedDemoData({ url: options.url, apiKey: options.key, people: Number(options.people), logger });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });

  program
    .command('import')
    .description('import a CRM export (CSV or NDJSON of contacts) into a running server, resumable')
    .requiredOption('--input <file>', 'the CSV or NDJSON file')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'ndjson']))
    .option('--url <url>', 'base URL of the server', 'http://127.0.0.1:8080')
    .option('--key <apiKey>', 'API key (default: C360_API_KEY, then <C360_DATA_DIR>/dev-api-key)')
    .option('--type <type>', 'event type of every row, e.g. contact_updated', 'contact_created')
    .option('--map <pairs>', 'column overrides "E-Mail Address=email,Mobile=phone" (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--batch <n>', 'rows per request, at most 1000', '500')
    .option('--rejects <file>', 'where rejected rows go (default: <input>.rejects.ndjson)')
    .option('--restart', 'start from the first row, even when an earlier run got further or completed')
    .action(async (options: { input: string; format?: string; url: string; key?: string; type: string; map: string[]; batch: string; rejects?: string; restart?: boolean }) => {
      const { runImportCommand } = await import('../ingest/import/index.ts');
      const key = options.key ?? process.env.C360_API_KEY;
      await runImportCommand({ ...options, key, dataDir: key ? undefined : loadConfig().dataDir });
    });

  program
    .command('migrate')
    .description('apply the Postgres and ClickHouse migrations and exit')
    .action(async () => {
      const config = loadConfig(process.env, { services: 'resolver,enrich' });
      const { migrate } = await import('./migrate-command.ts');
      await migrate(config, createLogger(config.logLevel));
    });

  program
    .command('dedupe')
    .description('cluster a CSV or NDJSON file of person records: one line per record, record_id,customer360_id,confidence')
    .requiredOption('--input <file>', 'CSV (header row) or NDJSON (.ndjson, .jsonl) of person records')
    .requiredOption('--out <file>', 'where to write record_id,customer360_id,confidence')
    .option('--id-column <column>', 'the column of record IDs (default: record_id, rec_id, id)')
    .option('--truth <column>', 'the true cluster: COLUMN, or COLUMN:REGEX whose first group is the cluster; never used for matching')
    .option('--map <spec...>', 'column=field overrides, e.g. "Vorname=first_name"')
    .option('--link-threshold <p>', 'match probability to link at', '0.999')
    .option('--review-threshold <p>', 'match probability to suggest for review at', '0.9')
    .option('--in-memory', 'cluster in memory with the same model instead of through the resolver and Postgres')
    .option('--keep', "keep the dedupe tenant's profiles in Postgres (its name is printed)")
    .option('--shuffle <seed>', 'resolve the records in an order shuffled with this seed')
    .action(async (options: { input: string; out: string; idColumn?: string; truth?: string; map?: string[]; linkThreshold: string; reviewThreshold: string; inMemory?: boolean; keep?: boolean; shuffle?: string }) => {
      const { runDedupe } = await import('../resolver/dedupe/dedupe.ts');
      const progress = process.stderr.isTTY ? (done: number, total: number) => process.stderr.write(`\r  resolved ${done} of ${total} records`) : undefined;
      const config = loadConfig();
      const summary = await runDedupe({
        ...options,
        withPostgres: toolPostgres(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel), postgresMigrations),
        defaultRegion: config.defaultRegion,
        linkThreshold: Number(options.linkThreshold),
        reviewThreshold: Number(options.reviewThreshold),
        shuffle: options.shuffle === undefined ? undefined : Number(options.shuffle),
        onProgress: progress,
      });
      if (progress) process.stderr.write('\n');
      const lines = [
        `${summary.records} records -> ${summary.clusters} clusters through the ${summary.engine === 'memory' ? 'in-memory matcher' : 'resolver'} (${summary.candidates === null ? '' : `${summary.candidates} candidates scored, `}${summary.links} links, ${summary.reviews} suggested for review) in ${summary.seconds.toFixed(1)} s; written to ${options.out}`,
      ];
      if (summary.tenant) lines.push(`kept as tenant ${summary.tenant}`);
      if (summary.quality) {
        const { pairs, bcubed } = summary.quality;
        lines.push(
          `pairwise: precision ${pairs.precision.toFixed(4)}, recall ${pairs.recall.toFixed(4)}, F1 ${pairs.f1.toFixed(4)} (${pairs.truePositives} of ${pairs.predicted} predicted pairs true, ${pairs.actual} true pairs)`,
          `B-cubed:  precision ${bcubed.precision.toFixed(4)}, recall ${bcubed.recall.toFixed(4)}, F1 ${bcubed.f1.toFixed(4)}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  program
    .command('split')
    .description('split (unmerge) a merged-away profile off its survivor, through a running server')
    .requiredOption('--profile <id>', 'the surviving profile')
    .requiredOption('--merged <id>', 'the profile merged into it, to restore')
    .option('--reason <text>', 'why, for the audit')
    .option('--url <url>', 'base URL of the server', 'http://127.0.0.1:8080')
    .option('--key <apiKey>', "an API key of the profile's tenant (default: C360_API_KEY, else the embedded dev key)")
    .action(async (options: { profile: string; merged: string; reason?: string; url: string; key?: string }) => {
      const { resolveApiKey } = await import('../ingest/import/index.ts');
      const config = loadConfig();
      const key = resolveApiKey({ apiKey: options.key, env: process.env, dataDir: config.dataDir });
      const response = await fetch(`${options.url.replace(/\/$/, '')}/v1/profiles/${encodeURIComponent(options.profile)}/split`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ merged_id: options.merged, reason: options.reason }),
      });
      const body = (await response.json()) as { message?: string; survivor?: { customer360_id: string }; restored?: { customer360_id: string } };
      if (!response.ok) {
        process.stderr.write(`c360 split: ${response.status} ${body.message ?? ''}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`split ${body.restored!.customer360_id} off ${body.survivor!.customer360_id}; they will not be merged again automatically\n`);
    });

  const identity = program.command('identity').description("identity resolution tools: re-estimate a tenant's match model from its own records");
  identity
    .command('estimate')
    .description("estimate the entity matcher's u per comparison and level from a tenant's stored person records and store it (m is fixed; its thresholds are kept)")
    .requiredOption('--tenant <tenant>', 'the tenant whose model to estimate')
    .option('--dry-run', 'estimate and print, write nothing')
    .option('--sample <n>', 'at most this many person records, chosen uniformly', '200000')
    .action(async (options: { tenant: string; dryRun?: boolean; sample: string }) => {
      const config = loadConfig();
      const { runEstimateCommand } = await import('../resolver/match/estimate-command.ts');
      process.exitCode = await runEstimateCommand(toolPostgres(config, createLogger(config.logLevel), postgresMigrations), options);
    });

  const keys = program.command('keys').description('API keys kept in Postgres as digests: create (shown once), list, revoke');
  const runKeys = async (action: Parameters<typeof import('./keys-command.ts').runKeysCommand>[1]) => {
    const config = loadConfig();
    const { runKeysCommand } = await import('./keys-command.ts');
    process.exitCode = await runKeysCommand(toolPostgres(config, createLogger(config.logLevel), postgresMigrations), action);
  };
  keys
    .command('create')
    .description('issue a key for a tenant; printed once')
    .requiredOption('--tenant <tenant>', 'tenant the key belongs to')
    .option('--sources <list>', 'sources the key may send, e.g. crm,pos (default: all)')
    .option('--role <role>', 'what the key may do: ingest (send events), read (lookups, timelines, segments) or admin (everything) (default: ingest with --sources, else admin)')
    .option('--name <text>', 'what the key is for')
    .action((options: { tenant: string; sources?: string; role?: string; name?: string }) => runKeys({ create: options }));
  keys
    .command('list')
    .description('list issued keys (IDs, never the keys)')
    .option('--tenant <tenant>', 'only the keys of this tenant')
    .action((options: { tenant?: string }) => runKeys({ list: options }));
  keys
    .command('revoke')
    .description('revoke a key by its ID')
    .argument('<keyId>')
    .action((keyId: string) => runKeys({ revoke: { keyId } }));

  const schemas = program.command('schemas').description('the Avro schemas of the topics: check a change, regenerate the TypeScript types, print');
  schemas
    .command('check')
    .description('compare the schemas with the schema store (registry server or Postgres): new, unchanged, compatible or refused')
    .action(async () => {
      const config = loadConfig();
      const { runSchemasCheck } = await import('../schemas/schemas-command.ts');
      process.exitCode = await runSchemasCheck(config, toolPostgres(config, createLogger(config.logLevel), postgresMigrations));
    });
  schemas
    .command('types')
    .description('regenerate schemas/generated.ts from the .avsc files')
    .action(async () => {
      const { writeGeneratedTypes, generatedFile } = await import('../schemas/generate-types.ts');
      process.stdout.write(writeGeneratedTypes() ? `wrote ${generatedFile}\n` : `${generatedFile} is up to date\n`);
    });
  schemas
    .command('docs')
    .description('regenerate docs/events.md, the event catalog, from the .avsc files')
    .action(async () => {
      const { writeDocs, docsFile } = await import('../schemas/generate-docs.ts');
      process.stdout.write(writeDocs() ? `wrote ${docsFile}\n` : `${docsFile} is up to date\n`);
    });
  schemas
    .command('print')
    .description("print the value schema of a topic (crm, pos, web, messaging, resolved or changes)")
    .argument('<topic>')
    .action(async (name: string) => {
      const { topicSchemas } = await import('../schemas/codec.ts');
      const { topicNames } = await import('../schemas/topics.ts');
      const config = loadConfig();
      const topics = topicNames(config.topicPrefix);
      const topic = name === 'resolved' ? topics.resolved : name === 'changes' ? topics.profileChanges : (topics.raw as Record<string, string>)[name] ?? name;
      const found = topicSchemas(topics).find((t) => t.topic === topic);
      if (!found) throw new ConfigError('topic', `no topic ${name}; one of crm, pos, web, messaging, resolved, changes`);
      process.stdout.write(`${JSON.stringify(found.schema, null, 2)}\n`);
    });

  program.command('config').description('print the configuration variables and their defaults').action(printConfig);

  program
    .command('bench')
    .description('measure events per second through the embedded pipeline and the Kafka path')
    .option('--events <n>', 'events per run', '20000')
    .option('--runs <n>', 'runs of each measure; the median is reported', '3')
    .action(async (options: { events: string; runs: string }) => {
      const { runBenchmarks } = await import('../bench/pipeline.ts');
      await runBenchmarks({ events: Number(options.events), runs: Number(options.runs) });
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`c360: ${error.message}\n`);
      process.exit(2);
    }
    const { code, port } = error as { code?: string; port?: number };
    if (code === 'EADDRINUSE') {
      process.stderr.write(`c360: port ${port ?? ''} is already in use; choose another with PORT=...\n`);
      process.exit(2);
    }
    throw error;
  }
}
