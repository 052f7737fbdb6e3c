/**
 * The distributed transport: KafkaJS. A consumer group per stage, one batch per partition
 * handed to the stage, offsets committed only after the stage has handled the batch.
 */
import { CompressionTypes, Kafka, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { kafkaLogCreator, type Logger } from './logger.ts';
import { chunkByBytes } from './produce-chunks.ts';
import {
  MessageTooLargeError,
  TransportUnavailableError,
  type Headers,
  type InboundMessage,
  type PartitionLag,
  type SubscribeOptions,
  type Subscription,
  type TopicMessages,
  type Transport,
} from './transport.ts';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  partitions?: number;
  /** Largest produce request, in bytes: at or under the broker's message.max.bytes. */
  maxRequestBytes?: number;
}

/** Whether a KafkaJS error (or one it wraps) is the broker refusing a message or batch as too large. */
function isTooLarge(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') return true;
    if (Array.isArray(e.errors) && e.errors.some(isTooLarge)) return true;
  }
  return false;
}

function toHeaders(raw: Record<string, unknown> | undefined): Headers {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return headers;
}

export async function createKafkaTransport(options: KafkaTransportOptions): Promise<Transport> {
  const { logger } = options;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 100, retries: 5 },
  });
  const producer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
  let producerConnected: Promise<void> | null = null;
  const connectProducer = () => {
    producerConnected ??= producer.connect().catch((error) => {
      producerConnected = null;
      throw error;
    });
    return producerConnected;
  };
  producer.on(producer.events.DISCONNECT, () => {
    producerConnected = null;
  });
  const consumers = new Set<Consumer>();

  /*
   * Sends coalesce: what callers hand over while earlier produce requests are in flight goes
   * out together in the next request (at most PRODUCE_IN_FLIGHT at once), so batches grow with
   * the load instead of each HTTP request paying for its own produce request. Every caller is
   * answered when the request carrying its messages is acknowledged by all in-sync replicas.
   */
  const PRODUCE_IN_FLIGHT = 3;
  const pending: { batches: TopicMessages[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  let producing = 0;
  let flushScheduled = false;
  const scheduleFlush = () => {
    if (flushScheduled || producing >= PRODUCE_IN_FLIGHT || pending.length === 0) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void flush();
    });
  };
  type Caller = (typeof pending)[number];
  const produce = async (callers: Caller[]) => {
    const batches = callers.flatMap((caller) => caller.batches);
    await connectProducer();
    // A topic this process has not written yet is created first (a dead-letter topic on its
    // first poison message, say): a produce to a topic being auto-created fails while it has
    // no leader yet.
    const unseen = [...new Set(batches.map((b) => b.topic))].filter((t) => !known.has(t));
    if (unseen.length) {
      await ensureTopics(unseen);
      for (const t of unseen) known.add(t);
    }
    // One after another, so each topic's messages keep their order.
    for (const chunk of chunkByBytes(batches, options.maxRequestBytes ?? 1_000_000)) {
      await producer.sendBatch({ topicMessages: chunk, acks: -1, compression: CompressionTypes.None });
    }
  };
  const refusal = (error: unknown) =>
    isTooLarge(error)
      ? new MessageTooLargeError(`Kafka refused a message as larger than it takes (the broker's message.max.bytes or the topic's max.message.bytes): ${(error as Error).message}`, error)
      : new TransportUnavailableError(`Kafka did not acknowledge: ${(error as Error).message}`, error);
  const flush = async () => {
    if (producing >= PRODUCE_IN_FLIGHT || pending.length === 0) return;
    const callers = pending.splice(0, pending.length);
    producing++;
    try {
      await produce(callers);
      for (const caller of callers) caller.resolve();
    } catch (error) {
      if (isTooLarge(error) && callers.length > 1) {
        // One caller's message is over the broker's limit: every caller is sent on its own, so
        // only the one holding it is refused.
        await Promise.all(callers.map((caller) => produce([caller]).then(caller.resolve, (e: unknown) => caller.reject(refusal(e)))));
      } else {
        for (const caller of callers) caller.reject(refusal(error));
      }
    } finally {
      producing--;
      scheduleFlush();
    }
  };

  const known = new Set<string>();
  async function ensureTopics(topics: string[]): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: options.partitions ?? 4 })),
        waitForLeaders: true,
      });
    } catch (error) {
      // Some brokers (librdkafka's test cluster) have no CreateTopics API; they create
      // topics on first use instead.
      logger.warn({ err: error, topics }, 'could not create topics; relying on automatic topic creation');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Each partition's high watermark minus the group's committed offset (the low one when none is). */
  async function lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const committed = new Map<string, bigint>();
      for (const t of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of t.partitions) if (BigInt(p.offset) >= 0n) committed.set(`${t.topic}\u0000${p.partition}`, BigInt(p.offset));
      }
      const out: PartitionLag[] = [];
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const from = committed.get(`${topic}\u0000${p.partition}`) ?? BigInt(p.low);
          const behind = BigInt(p.high) - from;
          out.push({ topic, partition: p.partition, lag: Number(behind > 0n ? behind : 0n) });
        }
      }
      return out;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  return {
    kind: 'kafka',
    ensureTopics,
    lag,

    send(batches: TopicMessages[]) {
      const messages = batches.filter((b) => b.messages.length > 0);
      if (messages.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ batches: messages, resolve, reject });
        scheduleFlush();
      });
    },

    async subscribe(subscribe: SubscribeOptions): Promise<Subscription> {
      const consumer = kafka.consumer({
        groupId: subscribe.groupId,
        allowAutoTopicCreation: true,
        maxBytesPerPartition: 4 * 1024 * 1024,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
        // A member that died (kill -9) is out of the group after 10 s, and its partitions go to
        // the others; a live one heartbeats every 3 s.
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        // Short fetch waits keep latency low and let stop() return quickly.
        maxWaitTimeInMs: 250,
      });
      consumers.add(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // The stage runner handles batches of partitions that arrive together as one.
        partitionsConsumedConcurrently: 16,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          for (let start = 0; start < batch.messages.length; start += subscribe.maxBatchSize) {
            if (!isRunning() || isStale()) return;
            const slice = batch.messages.slice(start, start + subscribe.maxBatchSize);
            const messages: InboundMessage[] = slice.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ? m.key.toString() : null,
              value: m.value ?? Buffer.alloc(0),
              headers: toHeaders(m.headers as Record<string, unknown>),
            }));
            await subscribe.onBatch(messages);
            const last = slice[slice.length - 1]!;
            resolveOffset(last.offset);
            await consumer.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
            ]);
            await heartbeat();
          }
        },
      });
      return {
        async stop() {
          await consumer.stop();
          await consumer.disconnect();
          consumers.delete(consumer);
        },
      };
    },

    async close() {
      await Promise.all([...consumers].map((c) => c.disconnect().catch(() => undefined)));
      await producer.disconnect().catch(() => undefined);
    },
  };
}
