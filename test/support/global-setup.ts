/**
 * Starts the engines the tests share, unless the environment names servers:
 * DATABASE_URL (else embedded Postgres in a temporary folder) and KAFKA_BROKERS (else a real
 * Apache Kafka broker, scripts/engines/kafka-server.ts, where Java and Maven are on the path;
 * librdkafka's mock cluster only where they are not, and the run says so) and SCHEMA_REGISTRY_URL
 * (else a Schema Registry server, scripts/engines/registry-server.ts, kept in that Kafka, where a
 * Java 21 or newer is found; the Kafka-mode tests then register their schemas there). ClickHouse
 * is opened per test file (chDB, or CLICKHOUSE_URL).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../platform/logger.ts';
import { startPostgres } from '../../platform/postgres.ts';
import { startTestBroker } from '../../scripts/engines/test-broker.ts';
import { freePort, startKafka } from '../../scripts/engines/kafka-server.ts';
import { javaAvailable } from '../../scripts/engines/maven.ts';
import { registryJava, startRegistry } from '../../scripts/engines/registry-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    kafkaBrokers: string;
    /** Whether kafkaBrokers is a real Kafka (false: librdkafka's mock cluster). */
    kafkaReal: boolean;
    /** '' where no registry server runs: the runtime then keeps schemas in Postgres. */
    schemaRegistryUrl: string;
  }
}

export { freePort };

export default async function setup(project: TestProject) {
  const logger = createLogger('warn');
  const stops: (() => Promise<void>)[] = [];

  let postgresUrl = process.env.DATABASE_URL ?? '';
  if (!postgresUrl) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-test-pg-'));
    const postgres = await startPostgres({ databaseUrl: '', dataDir, port: await freePort(), logger, database: 'c360_test' });
    postgresUrl = postgres.url;
    stops.push(async () => {
      await postgres.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  }
  project.provide('postgresUrl', postgresUrl);

  let kafkaBrokers = process.env.KAFKA_BROKERS ?? '';
  const realKafka = Boolean(kafkaBrokers) || javaAvailable();
  if (!kafkaBrokers && javaAvailable()) {
    const kafka = await startKafka({ say: (m) => process.stdout.write(`[engines] ${m}\n`) });
    kafkaBrokers = kafka.brokers;
    process.stdout.write(`[engines] Apache Kafka at ${kafkaBrokers} (${kafka.dataDir})\n`);
    stops.push(async () => {
      await kafka.stop();
      fs.rmSync(kafka.dataDir, { recursive: true, force: true });
    });
  } else if (!kafkaBrokers) {
    process.stdout.write('[engines] no Java or Maven on this machine: the Kafka path is tested on librdkafka\'s mock cluster instead of a real broker\n');
    const broker = await startTestBroker();
    kafkaBrokers = broker.brokers;
    stops.push(() => broker.stop());
  }
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('kafkaReal', realKafka);

  let schemaRegistryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
  if (!schemaRegistryUrl && realKafka && registryJava()) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-test-registry-'));
    const registry = await startRegistry({ kafkaBrokers, dataDir, say: (m) => process.stdout.write(`[engines] ${m}\n`) });
    schemaRegistryUrl = registry.url;
    process.stdout.write(`[engines] Schema Registry (Apicurio Registry) at ${schemaRegistryUrl}\n`);
    stops.push(async () => {
      await registry.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  } else if (!schemaRegistryUrl) {
    process.stdout.write(`[engines] ${realKafka ? 'no Java 21 or newer' : 'no real Kafka'}: no Schema Registry server; the Kafka-mode tests keep their schemas in Postgres\n`);
  }
  project.provide('schemaRegistryUrl', schemaRegistryUrl);

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
