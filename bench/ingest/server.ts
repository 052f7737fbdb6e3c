/** The server side: the ingest-only config, the pipeline's topics, and starting the ingest runtime or `c360 start` processes. */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startRuntime, type Runtime } from '../../app/runtime.ts';
import { loadConfig, type Config } from '../../platform/config.ts';
import type { Logger } from '../../platform/logger.ts';
import { allTopics, topicNames } from '../../schemas/topics.ts';
import type { BenchBroker } from '../bench-broker.ts';
import { PARTITIONS } from './constants.ts';

/** A runtime with `services: 'ingest'` only: no Postgres, no ClickHouse, schemas in the in-process store. */
export function ingestOnlyConfig(options: { brokers: string; dataDir: string; apiKeys: string }): Config {
  return loadConfig(process.env, {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'warn',
    dataDir: options.dataDir,
    databaseUrl: '',
    clickhouseUrl: '',
    schemaRegistryUrl: '',
    kafkaBrokers: options.brokers,
    apiKeys: options.apiKeys,
    services: 'ingest',
  });
}

/** Every topic of the pipeline, so that the runtime and the baseline find them. */
export async function createPipelineTopics(broker: Pick<BenchBroker, 'createTopic'>, topicPrefix: string): Promise<void> {
  const topics = topicNames(topicPrefix);
  for (const topic of allTopics(topics)) await broker.createTopic(topic, PARTITIONS);
}

/**
 * Starts the ingest-only runtime in this process, handing its stop to `addCleanup` at once, and
 * checks it opened neither Postgres nor ClickHouse; `note` says what it opened and wrote.
 */
export async function startIngestRuntime(
  config: Config,
  logger: Logger,
  dataDir: string,
  addCleanup: (cleanup: () => Promise<void>) => void,
): Promise<{ runtime: Runtime; note: string }> {
  const runtime: Runtime = await startRuntime(config, logger);
  addCleanup(() => runtime.stop());
  if (runtime.postgres || runtime.clickhouse) throw new Error('the ingest-only runtime opened Postgres or ClickHouse');
  const written = fs.readdirSync(dataDir);
  const note =
    `ingest-only runtime: Postgres ${runtime.postgres ? 'opened' : 'not opened'}, ClickHouse ${runtime.clickhouse ? 'opened' : 'not opened'}, ` +
    `data folder ${written.length ? `holds ${written.join(', ')}` : 'left empty'}`;
  return { runtime, note };
}

/** `c360 start --services ingest` with several processes, as an operator runs it; resolves with its URL. */
export async function startIngestProcesses(options: { processes: number; brokers: string; apiKeys: string; dataDir: string }) {
  const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '..', '..', 'bin', 'c360.js'), 'start', '--services', 'ingest'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: options.brokers,
      C360_API_KEYS: options.apiKeys,
      C360_INGEST_PROCESSES: String(options.processes),
      C360_DATA_DIR: options.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: '',
      SCHEMA_REGISTRY_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /API:\s+(\S+)/.exec(out);
      if (found) {
        clearInterval(timer);
        resolve(found[1]!);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`c360 start exited with ${code} before serving`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
