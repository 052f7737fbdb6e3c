/**
 * A broker a test can take down and bring back: a real Apache Kafka of its own (down is kill -9,
 * up starts it again on the same log folder and ports, as after a crash), or, on a machine
 * without Java, librdkafka's mock cluster (which drops and refuses connections).
 */
import fs from 'node:fs';
import { startKafka, type KafkaServer } from '../../scripts/engines/kafka-server.ts';
import { javaAvailable } from '../../scripts/engines/maven.ts';
import { startTestBroker } from '../../scripts/engines/test-broker.ts';

export interface OutageBroker {
  brokers: string;
  real: boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOutageBroker(): Promise<OutageBroker> {
  if (!javaAvailable()) {
    const mock = await startTestBroker();
    return { brokers: mock.brokers, real: false, down: () => mock.command('down 1'), up: () => mock.command('up 1'), stop: () => mock.stop() };
  }
  let server: KafkaServer = await startKafka();
  const { dataDir, port, controllerPort } = server;
  let running = true;
  return {
    brokers: server.brokers,
    real: true,
    async down() {
      await server.kill();
      running = false;
    },
    async up() {
      server = await startKafka({ dataDir, port, controllerPort });
      running = true;
    },
    async stop() {
      if (running) await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
