/**
 * Raw transport baselines: the same messages the ingest endpoint would produce (the
 * Avro-encoded raw events with their partition keys and tenant header, grouped per source
 * topic, batches of 100), sent by concurrent senders and then read back in a consumer group,
 * with nothing else done to them. One on the embedded log transport (Postgres), one with a
 * plain KafkaJS producer and consumer.
 */
import { CompressionTypes, Kafka, Partitioners } from 'kafkajs';
import type pg from 'pg';
import type { DemoEvent } from '../ingest/demo-data.ts';
import { partitionKey } from '../ingest/routes.ts';
import { validateEnvelope } from '../ingest/validate-event.ts';
import { createLogTransport } from '../platform/log-transport.ts';
import { kafkaLogCreator, type Logger } from '../platform/logger.ts';
import type { OutboundMessage, TopicMessages } from '../platform/transport.ts';
import type { Codec } from '../schemas/codec.ts';
import type { Topics } from '../schemas/topics.ts';
import { SOURCES, type Source } from '../schemas/types.ts';
import { batchesOf } from './events.ts';
import { now } from './load.ts';
import { waitUntil } from './util.ts';

export interface BaselineResult {
  messages: number;
  /** Bytes of message values. */
  bytes: number;
  produceMs: number;
  consumeMs: number;
  /** messages / (produce + consume) */
  eventsPerSecond: number;
}

export interface BaselineMessages {
  topics: string[];
  batches: TopicMessages[][];
  count: number;
  bytes: number;
}

export function baselineTopics(prefix: string): Record<Source, string> {
  return Object.fromEntries(SOURCES.map((s) => [s, `${prefix}.raw.${s}`])) as Record<Source, string>;
}

/**
 * Encodes the events exactly as POST /v1/events does (envelope check, Avro in the Confluent
 * wire format under the pipeline's raw-topic schema, partition key, tenant header), addressed
 * to the baseline's own topics.
 */
export async function encodeBaselineMessages(options: {
  events: DemoEvent[];
  tenant: string;
  codec: Codec;
  pipelineTopics: Topics;
  topicPrefix: string;
  defaultRegion: string;
  batchSize: number;
}): Promise<BaselineMessages> {
  const target = baselineTopics(options.topicPrefix);
  const receivedAt = Date.now();
  const batches: TopicMessages[][] = [];
  let count = 0;
  let bytes = 0;
  for (const batch of batchesOf(options.events, options.batchSize)) {
    const byTopic = new Map<string, OutboundMessage[]>();
    for (const envelope of batch) {
      const validated = validateEnvelope(envelope, options.tenant, receivedAt);
      if (!validated.ok) throw new Error(`bench event ${envelope.event_id} is invalid: ${JSON.stringify(validated.errors)}`);
      const { event } = validated;
      const value = await options.codec.encode(options.pipelineTopics.raw[event.source], event);
      const list = byTopic.get(target[event.source]) ?? [];
      list.push({ key: partitionKey(event), value, headers: { 'c360-tenant': event.tenant_id } });
      byTopic.set(target[event.source], list);
      count += 1;
      bytes += value.length;
    }
    batches.push([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }
  return { topics: Object.values(target), batches, count, bytes };
}

async function sendConcurrently(batches: TopicMessages[][], clients: number, send: (batch: TopicMessages[]) => Promise<void>, onSent: (n: number) => void) {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= batches.length) return;
        await send(batches[i]!);
        onSent(batches[i]!.reduce((n, t) => n + t.messages.length, 0));
      }
    }),
  );
}

export interface BaselineProgress {
  produced: number;
  consumed: number;
}

/** The embedded log transport alone on the pipeline's Postgres. */
export async function logTransportBaseline(options: {
  pool: pg.Pool;
  partitions: number;
  maxBatchSize: number;
  logger: Logger;
  messages: BaselineMessages;
  groupId: string;
  clients: number;
  progress: BaselineProgress;
}): Promise<BaselineResult> {
  const { messages, progress } = options;
  const transport = createLogTransport({ pool: options.pool, partitions: options.partitions, logger: options.logger });
  await transport.ensureTopics(messages.topics);
  try {
    const t0 = now();
    await sendConcurrently(messages.batches, options.clients, (batch) => transport.send(batch), (n) => (progress.produced += n));
    const t1 = now();
    const subscription = await transport.subscribe({
      groupId: options.groupId,
      topics: messages.topics,
      maxBatchSize: options.maxBatchSize,
      onBatch: async (batch) => {
        progress.consumed += batch.length;
      },
    });
    try {
      await waitUntil({ done: () => progress.consumed >= messages.count, progress: () => progress.consumed, what: 'log transport baseline', everyMs: 5 });
    } finally {
      await subscription.stop();
    }
    const t2 = now();
    return result(messages, t0, t1, t2);
  } finally {
    await transport.close();
  }
}

function result(messages: BaselineMessages, t0: number, t1: number, t2: number): BaselineResult {
  return {
    messages: messages.count,
    bytes: messages.bytes,
    produceMs: t1 - t0,
    consumeMs: t2 - t1,
    eventsPerSecond: messages.count / ((t2 - t0) / 1000),
  };
}

/**
 * A plain KafkaJS producer (acks all, no compression, as the pipeline's transport) and a
 * consumer group reading from the beginning. As the pipeline's stages, which are connected and
 * in their groups before the first event arrives, the baseline connects and joins its group
 * before the clock starts; its consumer is paused while the messages are produced and resumed
 * to read them.
 */
export async function kafkaBaseline(options: {
  brokers: string[];
  logger: Logger;
  messages: BaselineMessages;
  groupId: string;
  clients: number;
  progress: BaselineProgress;
  /** Creates a topic on the broker (the test broker has no CreateTopics API). */
  createTopic: (topic: string) => Promise<void>;
}): Promise<BaselineResult> {
  const { messages, progress } = options;
  for (const topic of messages.topics) await options.createTopic(topic);
  const kafka = new Kafka({
    clientId: 'c360-bench-baseline',
    brokers: options.brokers,
    logCreator: kafkaLogCreator(options.logger),
    retry: { initialRetryTime: 100, retries: 5 },
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  // KafkaJS sleeps maxWaitTimeInMs per fetch round while every partition is paused, so the
  // pipeline transport's 500 ms would be timed as consuming after the resume. A short wait only
  // changes how often an idle consumer polls: with messages waiting, a fetch returns at once.
  const consumer = kafka.consumer({ groupId: options.groupId, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 20 });
  const topics = messages.topics.map((topic) => ({ topic }));
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: messages.topics, fromBeginning: true });
    let joined = false;
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      consumer.pause(topics);
    });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        progress.consumed += batch.messages.length;
      },
    });
    await waitUntil({ done: () => joined, progress: () => 0, what: 'KafkaJS baseline consumer joining its group', everyMs: 10, stallMs: 60_000 });
    offJoin();

    const t0 = now();
    await sendConcurrently(
      messages.batches,
      options.clients,
      async (batch) => {
        await producer.sendBatch({
          topicMessages: batch.map((t) => ({ topic: t.topic, messages: t.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) })),
          acks: -1,
          compression: CompressionTypes.None,
        });
      },
      (n) => (progress.produced += n),
    );
    const t1 = now();
    consumer.resume(topics);
    await waitUntil({ done: () => progress.consumed >= messages.count, progress: () => progress.consumed, what: 'KafkaJS baseline', everyMs: 5 });
    const t2 = now();
    return result(messages, t0, t1, t2);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}
