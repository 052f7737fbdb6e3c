/**
 * `npm run engines`: a real Apache Kafka broker and a Confluent-compatible Schema Registry
 * server backed by it, for tests and local use, without Docker. Prints
 * `KAFKA_BROKERS=host:port` and `SCHEMA_REGISTRY_URL=http://host:port` on lines of their own
 * once each answers, and stops both cleanly on SIGTERM or SIGINT. Downloads (Maven Central) are
 * cached, so a second start only starts the processes.
 *
 *   npm run engines -- [--data-dir .c360/engines] [--kafka-port 9092] [--registry-port 8081] [--no-registry]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka, type KafkaServer } from './kafka-server.ts';
import { startRegistry, type RegistryServer } from './registry-server.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.c360/engines' },
    'kafka-port': { type: 'string', default: '9092' },
    'registry-port': { type: 'string', default: '8081' },
    'no-registry': { type: 'boolean', default: false },
  },
});

const say = (message: string) => process.stderr.write(`[engines] ${message}\n`);
const port = (name: string, value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`--${name} must be a port number, got "${value}"`);
  return n;
};

const dataDir = path.resolve(values['data-dir']!);
let kafka: KafkaServer | null = null;
let registry: RegistryServer | null = null;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping');
    await registry?.stop();
    await kafka?.stop();
  }
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

try {
  say(`starting Apache Kafka (log in ${path.join(dataDir, 'kafka')})`);
  kafka = await startKafka({ dataDir: path.join(dataDir, 'kafka'), port: port('kafka-port', values['kafka-port']!), controllerPort: port('kafka-port', values['kafka-port']!) + 1, say });
  process.stdout.write(`KAFKA_BROKERS=${kafka.brokers}\n`);
  if (!values['no-registry']) {
    say('starting the Schema Registry (Apicurio Registry, kept in Kafka)');
    registry = await startRegistry({ kafkaBrokers: kafka.brokers, port: port('registry-port', values['registry-port']!), dataDir: path.join(dataDir, 'registry'), say });
    process.stdout.write(`SCHEMA_REGISTRY_URL=${registry.url}\n`);
  }
  say('ready; SIGTERM or Ctrl-C stops them');
} catch (error) {
  say(`could not start: ${(error as Error).message}`);
  await stop(1);
}
