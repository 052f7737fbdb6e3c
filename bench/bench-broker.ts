/**
 * The broker the benchmarks' Kafka path runs on: a real Apache Kafka (scripts/engines) where
 * Java and Maven are present, else librdkafka's mock cluster (the test broker), which the
 * report then names. C360_BENCH_BROKER=mock runs on the mock cluster even where Java is present,
 * to compare the two. Topics are created with the partitions asked for either way.
 */
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_VERSION, startKafka } from '../scripts/engines/kafka-server.ts';
import { javaAvailable } from '../scripts/engines/maven.ts';
import { startTestBroker } from '../scripts/engines/test-broker.ts';
import { ensureBrokerBinary, withListenerHeadroom } from './util.ts';
import fs from 'node:fs';

export interface BenchBroker {
  brokers: string;
  /** What it is, for the report: "Apache Kafka 4.1.1" or "Kafka test broker (mock cluster)". */
  name: string;
  real: boolean;
  pid: number | null;
  createTopic(topic: string, partitions: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchBroker(note: (message: string) => void): Promise<BenchBroker> {
  const mock = process.env.C360_BENCH_BROKER === 'mock';
  if (javaAvailable() && !mock) {
    const server = await startKafka({ say: note, heapMb: 1024 });
    const kafka = new Kafka({ brokers: [server.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    return {
      brokers: server.brokers,
      name: `Apache Kafka ${KAFKA_VERSION}`,
      real: true,
      pid: server.pid,
      async createTopic(topic, partitions) {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      },
      async stop() {
        await admin.disconnect().catch(() => undefined);
        await server.stop();
        fs.rmSync(server.dataDir, { recursive: true, force: true });
      },
    };
  }
  note(mock ? 'C360_BENCH_BROKER=mock: the Kafka path runs on the Kafka test broker (librdkafka mock cluster)' : 'no Java or Maven on this machine: the Kafka path runs on the Kafka test broker (librdkafka mock cluster)');
  ensureBrokerBinary(note);
  const broker = await startTestBroker();
  return {
    brokers: broker.brokers,
    name: 'Kafka test broker (mock cluster)',
    real: false,
    pid: null,
    createTopic: (topic, partitions) => withListenerHeadroom(() => broker.command(`topic ${topic} ${partitions}`)),
    stop: () => withListenerHeadroom(() => broker.stop()),
  };
}
