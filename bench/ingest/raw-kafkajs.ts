/** The raw KafkaJS baseline: a plain producer sending the pre-encoded messages, measured like the HTTP clients. */
import { CompressionTypes, Kafka, Partitioners, type Producer } from 'kafkajs';
import type { BaselineMessages } from '../baselines.ts';
import { now } from '../load.ts';
import { sleep } from '../util.ts';
import { kafkaLogCreator, type Logger } from '../../platform/logger.ts';
import { windowSnapshots } from './cpu-sampling.ts';
import { finish, type ClientResult, type Live, type Measured, type Probe, type Window } from './measures.ts';

/** KafkaJS sendBatch arguments, built once. */
export type RawBatch = { topic: string; messages: { key: string | null; value: Buffer; headers?: Record<string, string> }[] }[];

export async function measureRaw(producer: Producer, batches: RawBatch[], window: Window, concurrency: number, probe: Probe, live: (l: Live) => void): Promise<Measured> {
  const from = window.startAt + window.warmupMs;
  const until = from + window.windowMs;
  const snapshots = windowSnapshots(window, probe);
  const latencies: number[] = [];
  let events = 0;
  let requests = 0;
  let otherFailures = 0;
  let firstProblem: string | null = null;
  let next = 0;
  live({ what: 'KafkaJS', window, inWindow: () => events });
  const sender = async () => {
    while (now() < until) {
      const topicMessages = batches[next++ % batches.length]!;
      const started = now();
      try {
        await producer.sendBatch({ topicMessages, acks: -1, compression: CompressionTypes.None });
      } catch (error) {
        otherFailures++;
        firstProblem ??= `send failed: ${(error as Error).message}`;
        await sleep(100);
        continue;
      }
      const ended = now();
      if (ended >= from && ended <= until) {
        events += topicMessages.reduce((n, t) => n + t.messages.length, 0);
        requests++;
        latencies.push(ended - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const result: ClientResult = { events, requests, latencies, rejected: 0, status429: 0, status503: 0, otherFailures, firstProblem, clientThreadElu: null };
  return finish(result, window, snapshots.usage(null));
}

/** The baseline's sendBatch arguments from the encoded messages: what ingest would write for the same events. */
export function rawBatchesOf(encoded: BaselineMessages): RawBatch[] {
  return encoded.batches.map((batch) =>
    batch.map((t) => ({ topic: t.topic, messages: t.messages.map((msg) => ({ key: msg.key, value: msg.value, headers: msg.headers })) })),
  );
}

/** A plain KafkaJS producer with the transport's settings (the default partitioner), connected. */
export async function connectRawProducer(brokers: string, logger: Logger): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'c360-bench-ingest-baseline',
    brokers: brokers.split(','),
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 100, retries: 5 },
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  return producer;
}
