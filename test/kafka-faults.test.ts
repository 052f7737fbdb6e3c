/**
 * Faults that a real Kafka cluster has and librdkafka's mock cluster does not, on the tests'
 * Apache Kafka: topics created with more partitions than there are consumers, a consumer group
 * with a stale member (a resolver process frozen with SIGSTOP, then woken), a message larger than
 * the broker takes, and retention deleting raw events the resolver has read. Skipped on the mock
 * cluster (no CreateTopics, no topic configs, no DeleteRecords there).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topicNames } from '../schemas/topics.ts';
import type { RawEvent } from '../schemas/types.ts';
import { uniqueName, waitFor } from './support/engines.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';

const real = inject('kafkaReal');
const TENANTS = ['t_one', 't_two', 't_three', 't_four', 't_five', 't_six'];
const keyOf = (tenant: string) => `key_${tenant}_faults`;
const apiKeys = TENANTS.map((t) => `${keyOf(t)}:${t}`).join(',');

const order = (tenant: string, n: number, customer = n % 10) => ({
  event_id: `${tenant}-order-${n}`,
  source: 'pos',
  type: 'order_completed',
  occurred_at: '2026-04-01T10:00:00Z',
  identity: { email: `buyer${customer}@${tenant}.test` },
  properties: { order_id: `${tenant}-o-${n}`, total_minor: 1000, currency: 'USD' },
});

async function post(t: TestRuntime, tenant: string, events: unknown[]) {
  return t.request('POST', '/v1/events', keyOf(tenant), events);
}

async function sql(t: TestRuntime, tenant: string, query: string): Promise<Record<string, unknown>> {
  const r = await t.request('POST', '/v1/sql', keyOf(tenant), { query });
  if (r.status !== 200) throw new Error(`SQL answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.rows[0];
}

describe.skipIf(!real)('faults of a real Kafka cluster', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = new Kafka({ brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it('consumes every partition of topics with more partitions than consumers, and a stale member does not lose or double events', async () => {
    const topicPrefix = uniqueName('c360faults');
    const topics = topicNames(topicPrefix);
    // An operator created the raw topics with 12 partitions; one resolver in this process, one in another.
    await admin.createTopics({ topics: Object.values(topics.raw).map((topic) => ({ topic, numPartitions: 12 })), waitForLeaders: true });
    const t = await startTestRuntime({ kafkaBrokers: inject('kafkaBrokers'), apiKeys, topicPrefix });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-stale-'));
    const other = spawn(process.execPath, ['bin/c360.js', 'start', '--services', 'resolver'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: inject('kafkaBrokers'),
        DATABASE_URL: t.runtime.config.databaseUrl,
        SCHEMA_REGISTRY_URL: t.runtime.config.schemaRegistryUrl,
        C360_TOPIC_PREFIX: topicPrefix,
        C360_API_KEYS: apiKeys,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        C360_RETRY_MAX_MS: '1000',
        C360_DATA_DIR: dataDir,
      },
      stdio: 'ignore',
    });
    try {
      let n = 0;
      const sendRound = async () => {
        for (const tenant of TENANTS) expect((await post(t, tenant, Array.from({ length: 20 }, () => order(tenant, n++)))).status).toBe(200);
      };
      const resolvedCount = async () => {
        let total = 0;
        for (const tenant of TENANTS) total += Number((await sql(t, tenant, 'SELECT uniqExact(event_id) AS n FROM events')).n);
        return total;
      };
      // Both members in the group (the other process has joined once it has resolved something).
      await waitFor(async () => (await admin.describeGroups([`${topicPrefix}-resolver`])).groups[0]!.members.length === 2, 60_000, 'two resolvers in the group');
      await sendRound();
      await waitFor(async () => (await resolvedCount()) === n, 60_000, 'the first round resolved');
      // The tenants' events went to several partitions, all consumed.
      const used = (await admin.fetchTopicOffsets(topics.raw.pos)).filter((p) => Number(p.high) > 0);
      expect(used.length).toBeGreaterThan(1);

      // The other resolver freezes (a stopped VM, a long GC pause): a member of the group that no
      // longer heartbeats. Its partitions wait for the session timeout, then go to this process.
      other.kill('SIGSTOP');
      const frozenAt = Date.now();
      await sendRound();
      await sendRound();
      await waitFor(async () => (await resolvedCount()) === n, 90_000, 'the rounds sent while a member was stale');
      const takenOverAfter = Date.now() - frozenAt;
      // It wakes up fenced (its generation is gone), rejoins, and applies nothing twice.
      other.kill('SIGCONT');
      await sendRound();
      await waitFor(async () => (await resolvedCount()) === n, 90_000, 'the round after the stale member woke');
      await new Promise((r) => setTimeout(r, 3000));
      let orders = 0;
      let profiles = 0;
      for (const tenant of TENANTS) {
        const row = await sql(t, tenant, 'SELECT sum(orders_count) AS orders, count() AS profiles FROM customer360');
        orders += Number(row.orders);
        profiles += Number(row.profiles);
      }
      process.stdout.write(`stale group member: ${n} events on 12 partitions, ${n - (await resolvedCount())} lost, ${orders - n} applied twice, taken over ${(takenOverAfter / 1000).toFixed(1)} s after the freeze\n`);
      expect(await resolvedCount()).toBe(n);
      expect(orders).toBe(n);
      expect(profiles).toBe(TENANTS.length * 10);
    } finally {
      other.kill('SIGCONT');
      other.kill('SIGTERM');
      await new Promise((r) => (other.exitCode !== null || other.signalCode !== null ? r(null) : other.once('exit', r)));
      await t.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('rejects only the event larger than the broker takes, with the reason, and cuts large requests under the limit', async () => {
    const topicPrefix = uniqueName('c360big');
    const topics = topicNames(topicPrefix);
    // The POS topic takes messages of 20 kB at most; the others Kafka's default (about 1 MiB).
    await admin.createTopics({ topics: [{ topic: topics.raw.pos, numPartitions: 4, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }], waitForLeaders: true });
    const t = await startTestRuntime({ kafkaBrokers: inject('kafkaBrokers'), apiKeys, topicPrefix, services: 'ingest', maxMessageBytes: 300_000 });
    try {
      const tenant = TENANTS[0]!;
      const big = { ...order(tenant, 99), properties: { ...order(tenant, 99).properties, note: 'x'.repeat(50_000) } };
      const small = Array.from({ length: 10 }, (_, i) => order(tenant, i));
      // Two requests at once: the producer coalesces them, and only the large event is refused.
      const [mixed, plain] = await Promise.all([post(t, tenant, [...small.slice(0, 5), big, ...small.slice(5)]), post(t, tenant, Array.from({ length: 10 }, (_, i) => order(tenant, 100 + i)))]);
      expect(plain.status).toBe(200);
      expect(plain.body.accepted).toBe(10);
      expect(mixed.status).toBe(200);
      expect(mixed.body.accepted).toBe(10);
      expect(mixed.body.results[5]).toMatchObject({ index: 5, event_id: big.event_id, status: 'rejected' });
      expect(mixed.body.results[5].errors[0].message).toMatch(/too large for the event log.*message\.max\.bytes/);

      // Over this deployment's own limit: refused before it reaches the broker, with the setting named.
      const huge = { ...order(tenant, 98), source: 'web', type: 'page_viewed', properties: { url: '/', note: 'y'.repeat(400_000) } };
      const refused = await post(t, tenant, [huge]);
      expect(refused.status).toBe(400);
      expect(refused.body.results[0].errors[0].message).toMatch(/C360_MAX_MESSAGE_BYTES/);

      // 1,000 events of 3 kB for one tenant (one partition): 3 MB, cut into requests under the broker's limit.
      const pages = Array.from({ length: 1000 }, (_, i) => ({ event_id: `${tenant}-page-${i}`, source: 'web', type: 'page_viewed', occurred_at: '2026-04-01T10:00:00Z', identity: { anonymous_id: `anon-${i % 7}` }, properties: { url: `/p/${i}`, note: 'z'.repeat(3000) } }));
      const bulk = await post(t, tenant, pages);
      expect(bulk.status).toBe(200);
      expect(bulk.body.accepted).toBe(1000);
      // The stages' sends too (they have no per-event fallback): 3 MB for one partition in one call.
      const outputTopic = `${topicPrefix}.chunks`;
      await t.runtime.transport.send([{ topic: outputTopic, messages: Array.from({ length: 1000 }, (_, i) => ({ key: tenant, value: Buffer.alloc(3000, i % 256) })) }]);
      expect((await admin.fetchTopicOffsets(outputTopic)).reduce((sum, p) => sum + Number(p.high), 0)).toBe(1000);

      // In the topics: everything accepted, nothing refused.
      const seen = new Set<string>();
      const consumer = kafka.consumer({ groupId: uniqueName('verify'), maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.raw.pos, topics.raw.web], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ topic, message }) => void seen.add((await t.runtime.codec.decode<RawEvent>(topic, message.value!)).event_id) });
      try {
        await waitFor(async () => seen.size >= 1020, 30_000, 'every accepted event in its topic');
      } finally {
        await consumer.disconnect();
      }
      expect(seen.has(big.event_id)).toBe(false);
      expect(seen.has(huge.event_id)).toBe(false);
      expect(seen.size).toBe(1020);
    } finally {
      await t.stop();
    }
  }, 180_000);

  it('keeps resolving people whose raw events retention has deleted', async () => {
    const topicPrefix = uniqueName('c360ret');
    const topics = topicNames(topicPrefix);
    const brokers = inject('kafkaBrokers');
    const warehouse = await startTestRuntime({ kafkaBrokers: brokers, apiKeys, topicPrefix, services: 'ingest,enrich,api' });
    const resolverConfig = { kafkaBrokers: brokers, apiKeys, topicPrefix, services: 'resolver', databaseUrl: warehouse.runtime.config.databaseUrl };
    let resolver = await startTestRuntime(resolverConfig);
    try {
      const tenant = TENANTS[1]!;
      const profileOf = async (query: string) => {
        const r = await warehouse.request('GET', `/v1/profiles?${query}`, keyOf(tenant));
        return r.status === 200 ? r.body : null;
      };
      const signup = { event_id: 'ret-1', source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T09:00:00Z', identity: { email: 'rhea.holt@mail.test', phone: '+14155550188', source_record_id: 'CRM-88' }, traits: { first_name: 'Rhea', last_name: 'Holt' } };
      expect((await post(warehouse, tenant, [signup])).status).toBe(200);
      const first = await waitFor(() => profileOf('email=rhea.holt%40mail.test'), 30_000, 'the profile from the first event');

      // Retention deletes every raw event read so far, and the resolver restarts.
      await resolver.stop();
      for (const topic of Object.values(topics.raw)) {
        const offsets = await admin.fetchTopicOffsets(topic);
        await admin.deleteTopicRecords({ topic, partitions: offsets.map((p) => ({ partition: p.partition, offset: p.high })) });
      }
      expect((await admin.fetchTopicOffsets(topics.raw.crm)).every((p) => p.low === p.high)).toBe(true);
      resolver = await startTestRuntime(resolverConfig);

      // An order with only the phone still finds her, and her profile keeps what the deleted event said.
      const purchase = { event_id: 'ret-2', source: 'pos', type: 'order_completed', occurred_at: '2026-04-02T09:00:00Z', identity: { phone: '(415) 555-0188' }, properties: { order_id: 'ret-o-1', total_minor: 4200, currency: 'USD' } };
      expect((await post(warehouse, tenant, [purchase])).status).toBe(200);
      const after = await waitFor(async () => {
        const p = await profileOf('phone=%2B14155550188');
        return p && p.aggregates.orders_count === 1 ? p : null;
      }, 30_000, 'the order resolved to her profile');
      expect(after.customer360_id).toBe(first.customer360_id);
      expect(after.emails).toEqual(['rhea.holt@mail.test']);
      expect(after.source_ids.crm).toEqual(['CRM-88']);
      expect(after.traits.first_name).toBe('Rhea');
      expect(after.aggregates.events_count).toBe(2);
    } finally {
      await resolver.stop();
      await warehouse.stop();
    }
  }, 180_000);
});
