/**
 * The Kafka path on a Kafka-protocol broker (the librdkafka test cluster, or KAFKA_BROKERS).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaTransport } from '../platform/kafka-transport.ts';
import { createMetrics } from '../platform/metrics.ts';
import { runStage, type Stage } from '../platform/stage-runner.ts';
import type { InboundMessage, Transport } from '../platform/transport.ts';
import { memorySchemaStore } from '../schemas/schema-store.ts';
import { createCodec, type Codec } from '../schemas/codec.ts';
import { deadLetterTopic, topicNames } from '../schemas/topics.ts';
import type { RawEvent } from '../schemas/types.ts';
import { createParseRawEventStep } from '../resolver/parse-raw-event.ts';
import { silentLogger, uniqueName, waitFor } from './support/engines.ts';

const brokers = () => inject('kafkaBrokers').split(',');

function rawEvent(i: number): RawEvent {
  return {
    event_id: `e-${i}`,
    tenant_id: 'tenant-a',
    source: 'pos',
    type: 'order_completed',
    occurred_at: 1_700_000_000_000 + i,
    received_at: 1_700_000_000_000 + i,
    identity: { auth_user_id: null, email: `p${i}@mail.test`, phone: null, anonymous_id: null, source_record_id: null },
    traits: {},
    properties: { amount: i },
  };
}

async function readTopic(topic: string, expected: number): Promise<InboundMessage[]> {
  const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 500 });
  const seen: InboundMessage[] = [];
  // A real broker answers a subscription to a topic nobody wrote yet with an error: create it.
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }).catch(() => undefined);
  await admin.disconnect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      seen.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value!, headers });
    },
  });
  try {
    await waitFor(async () => seen.length >= expected, 20_000, `${expected} messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('Kafka transport', () => {
  let transport: Transport;
  let codec: Codec;

  beforeAll(async () => {
    transport = await createKafkaTransport({ brokers: brokers(), clientId: 'c360-test', logger: silentLogger() });
  });
  afterAll(async () => {
    await transport.close();
  });

  it('produces, consumes in a group, commits, and resumes from the committed offsets after a stop', async () => {
    const topic = uniqueName('c360.test');
    const group = uniqueName('group');
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 13}`, value: Buffer.from(String(from + i)) }));
    await transport.send([{ topic, messages: batch(0, 500) }]);

    const first: InboundMessage[] = [];
    const sub1 = await transport.subscribe({ groupId: group, topics: [topic], maxBatchSize: 100, onBatch: async (b) => void first.push(...b) });
    await waitFor(async () => first.length >= 500, 30_000, '500 messages');
    await sub1.stop();
    expect(new Set(first.map((m) => m.value.toString())).size).toBe(500);

    await transport.send([{ topic, messages: batch(500, 50) }]);
    const second: InboundMessage[] = [];
    const sub2 = await transport.subscribe({ groupId: group, topics: [topic], maxBatchSize: 100, onBatch: async (b) => void second.push(...b) });
    await waitFor(async () => second.length >= 50, 30_000, '50 new messages');
    await new Promise((r) => setTimeout(r, 500));
    await sub2.stop();
    // Only what was produced after the stop: the first 500 were committed.
    expect(second.map((m) => Number(m.value.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 500 + i));
    // Group joins on the test broker take seconds each; leave room on a busy machine.
  }, 120_000);

  it('sends a poison message to the dead-letter topic with its reason while its partition keeps flowing', async () => {
    const prefix = uniqueName('c360test');
    const topics = topicNames(prefix);
    codec = await createCodec({ store: memorySchemaStore(), topics });
    const input = topics.raw.pos;
    const output = uniqueName('c360.test.out');
    const parse = createParseRawEventStep(codec);
    const stage: Stage = {
      name: 'test',
      groupId: uniqueName('stage'),
      topics: [input],
      async handleBatch(messages) {
        return Promise.all(
          messages.map(async (m) => {
            const result = await parse(m);
            return result.type === 'ok'
              ? { type: 'ok' as const, outputs: [{ topic: output, key: m.key, value: Buffer.from(result.value.event_id) }] }
              : result;
          }),
        );
      },
    };
    // One key: every message on the same partition, the poison one in the middle.
    const good = async (i: number) => ({ key: 'same-person', value: await codec.encode(input, rawEvent(i)) });
    const messages = [await good(1), await good(2), { key: 'same-person', value: Buffer.from('not avro at all') }, await good(3), await good(4)];
    await transport.send([{ topic: input, messages }]);

    const running = await runStage(stage, { transport, logger: silentLogger(), metrics: createMetrics(), batchSize: 100, retryInitialMs: 50, retryMaxMs: 500 });
    try {
      const outputs = await readTopic(output, 4);
      expect(outputs.map((m) => m.value.toString()).sort()).toEqual(['e-1', 'e-2', 'e-3', 'e-4']);
      const dead = await readTopic(deadLetterTopic(input), 1);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.value.toString()).toBe('not avro at all');
      expect(dead[0]!.key).toBe('same-person');
      expect(dead[0]!.headers['dlq-reason']).toMatch(/^undecodable: /);
      expect(dead[0]!.headers['dlq-step']).toBe('test.parse-raw-event');
      expect(Date.parse(dead[0]!.headers['dlq-timestamp']!)).toBeGreaterThan(Date.now() - 60_000);
      expect(dead[0]!.headers['dlq-original-topic']).toBe(input);
    } finally {
      await running.stop();
    }
  }, 120_000);
});
