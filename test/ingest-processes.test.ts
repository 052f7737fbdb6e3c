/**
 * `c360 start --services ingest` with C360_INGEST_PROCESSES=2 on the tests' Kafka broker: one
 * port, two processes, every accepted event in the topic, a clean stop on SIGTERM.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createCodec } from '../schemas/codec.ts';
import { schemaStoreFor } from '../schemas/schema-store.ts';
import { topicNames } from '../schemas/topics.ts';
import type { RawEvent } from '../schemas/types.ts';
import { childrenOf } from '../bench/util.ts';
import { uniqueName, waitFor } from './support/engines.ts';

describe('several ingest processes on one port', () => {
  const broker = { brokers: inject('kafkaBrokers') };

  it('serves from every process, loses nothing, and stops on SIGTERM', async () => {
    const prefix = uniqueName('c360multi');
    const child = spawn(process.execPath, ['bin/c360.js', 'start', '--services', 'ingest'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: broker.brokers,
        C360_API_KEYS: 'key_multi_0001:tenant_m',
        C360_INGEST_PROCESSES: '2',
        C360_TOPIC_PREFIX: prefix,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        DATABASE_URL: '',
        SCHEMA_REGISTRY_URL: inject('schemaRegistryUrl'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const url = await waitFor(async () => /API:\s+(\S+)/.exec(out)?.[1], 60_000, 'the ingest processes');
      expect(out).toContain('2 processes on one port');
      // Two ingest processes under the primary (other helpers, e.g. a compiler service, may run too).
      const ingestProcesses = childrenOf(child.pid!).filter((pid) => {
        try {
          const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
          return ppid === child.pid && cmdline.includes('c360.js');
        } catch {
          return false;
        }
      });
      expect(ingestProcesses).toHaveLength(2);

      const sent: string[] = [];
      for (let r = 0; r < 20; r++) {
        const events = Array.from({ length: 10 }, (_, i) => ({
          event_id: `multi-${r}-${i}`,
          source: 'web',
          type: 'page_viewed',
          occurred_at: '2026-05-01T00:00:00Z',
          identity: { anonymous_id: `anon-${r}` },
          properties: { url: `/p/${i}` },
        }));
        // A new connection each time: connections are spread over the processes.
        const response = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: 'Bearer key_multi_0001', 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify(events),
        });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { accepted: number }).accepted).toBe(10);
        sent.push(...events.map((e) => e.event_id));
      }

      // Every accepted event is in the topic, decodable with the schemas the processes registered
      // (in the registry server, or each in memory alike where none runs).
      const topics = topicNames(prefix);
      const codec = await createCodec({ store: schemaStoreFor(inject('schemaRegistryUrl'), null), topics });
      const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: uniqueName('verify'), maxWaitTimeInMs: 200 });
      const seen = new Map<string, string>();
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.raw.web], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, topic }) => {
          const event = await codec.decode<RawEvent>(topic, message.value!);
          seen.set(event.event_id, event.tenant_id);
        },
      });
      try {
        await waitFor(async () => sent.every((id) => seen.has(id)), 60_000, 'every accepted event in the topic');
      } finally {
        await consumer.disconnect();
      }
      expect(new Set(seen.values())).toEqual(new Set(['tenant_m']));
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  }, 120_000);
});
