/**
 * Hostile events on the whole embedded pipeline (real Postgres, chDB): trait and property names
 * of JavaScript objects, numbers and booleans where text belongs, huge strings, NUL characters,
 * sent over HTTP (refused per record) and written straight onto the raw topic (dead-lettered
 * with the reason by the resolver), and an event Postgres refuses (found in its batch and
 * dead-lettered alone). Another tenant's event behind them resolves within seconds, and the
 * resolver is not stuck. A retriable failure (Postgres refusing the resolver's writes) shows in
 * /healthz and /metrics while it lasts, and the stage recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionKey } from '../ingest/routes.ts';
import { deadLetterTopic } from '../schemas/topics.ts';
import type { RawEvent } from '../schemas/types.ts';
import type { InboundMessage } from '../platform/transport.ts';
import { uniqueName, waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const OCCURRED = '2026-02-01T10:00:00Z';

const envelope = (id: string, traits: Record<string, unknown> = {}, properties: Record<string, unknown> = {}) => ({
  event_id: id,
  source: 'crm',
  type: 'profile_imported',
  occurred_at: OCCURRED,
  identity: { email: `${id}@mail.test`, source_record_id: `CRM-${id}` },
  traits,
  properties,
});

/** A raw event as a producer other than ingest might write it: no validation on the way. */
const raw = (id: string, tenant: string, traits: Record<string, unknown>, extra: Partial<RawEvent> = {}): RawEvent => ({
  event_id: id,
  tenant_id: tenant,
  source: 'crm',
  type: 'profile_imported',
  occurred_at: Date.parse(OCCURRED),
  received_at: Date.now(),
  identity: { auth_user_id: null, email: `${id}@mail.test`, phone: null, anonymous_id: null, source_record_id: `CRM-${id}` },
  traits: traits as RawEvent['traits'],
  properties: {},
  ...extra,
});

describe('poison events', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({ stageStuckAfterMs: 1500 });
    // Faults Postgres raises on the resolver's writes of chosen events (event_id LIKE match):
    // a value it refuses (a data error), or the server refusing work (a retriable one).
    await t.db.pool.query(`
      CREATE TABLE test_faults (match text PRIMARY KEY, sqlstate text NOT NULL, message text NOT NULL);
      CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE f record;
      BEGIN
        SELECT * INTO f FROM test_faults WHERE NEW.event_id LIKE match LIMIT 1;
        IF FOUND THEN RAISE EXCEPTION USING ERRCODE = f.sqlstate, MESSAGE = f.message; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_fault BEFORE INSERT ON event_links FOR EACH ROW EXECUTE FUNCTION test_fault();`);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const profileOf = async (email: string, key: string) => {
    const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, key);
    return r.status === 200 ? r.body : null;
  };
  const linksOf = async (ids: string[]) => {
    const { rows } = await t.db.pool.query<{ event_id: string; n: number }>(
      'SELECT event_id, count(*)::int AS n FROM event_links WHERE event_id = ANY($1) GROUP BY event_id',
      [ids],
    );
    return Object.fromEntries(rows.map((r) => [r.event_id, r.n]));
  };
  const metric = async (name: string, labels: Record<string, string>) =>
    (await t.runtime.metrics.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

  async function deadLetters(topic: string, expected: number): Promise<Map<string, InboundMessage>> {
    const seen: InboundMessage[] = [];
    const sub = await t.runtime.transport.subscribe({ groupId: uniqueName('dlq'), topics: [topic], maxBatchSize: 500, onBatch: async (b) => void seen.push(...b) });
    try {
      await waitFor(async () => seen.length >= expected, 20_000, `${expected} dead letters on ${topic}`);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await sub.stop();
    }
    const byId = new Map<string, InboundMessage>();
    for (const m of seen) byId.set((await t.runtime.codec.decode<RawEvent>(topic.replace(/\.dlq$/, ''), m.value)).event_id, m);
    return byId;
  }

  it('refuses hostile records over HTTP one by one, naming the field, and keeps the rest of the request', async () => {
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      envelope('http-good', { first_name: 'Ann', postal_code: 94105 }),
      envelope('http-ctor', { constructor: 'x' }),
      envelope('http-proto-members', { toString: 'x', hasOwnProperty: 'y' }, { prototype: 1 }),
      envelope('http-number-name', { first_name: 123 }),
      envelope('http-boolean-name', { last_name: true }),
      envelope('http-number-dob', { date_of_birth: 19800101 }),
      envelope('http-huge-city', { city: 'x'.repeat(100_000) }),
    ]);
    expect(sent.status).toBe(200);
    expect(sent.body.accepted).toBe(1);
    const errors = Object.fromEntries(sent.body.results.map((r: { event_id: string; errors?: { path: string }[] }) => [r.event_id, (r.errors ?? []).map((e) => e.path)]));
    expect(errors).toEqual({
      'http-good': [],
      'http-ctor': ['/traits/constructor'],
      'http-proto-members': ['/traits/toString', '/traits/hasOwnProperty', '/properties/prototype'],
      'http-number-name': ['/traits/first_name'],
      'http-boolean-name': ['/traits/last_name'],
      'http-number-dob': ['/traits/date_of_birth'],
      'http-huge-city': ['/traits/city'],
    });
    // A __proto__ key is refused with the whole body by the JSON parser (prototype poisoning).
    const proto = await t.request('POST', '/v1/events', KEY_A, `[${JSON.stringify(envelope('http-proto')).replace('"traits":{}', '"traits":{"__proto__":{"x":1}}')}]`);
    expect(proto.status).toBe(400);
    // The Segment connector: a reserved trait is refused by name, a numeric postcode taken as text.
    const segment = await t.request('POST', '/v1/batch', KEY_A, {
      batch: [
        { type: 'identify', userId: 'seg-bad', traits: { email: 'seg-bad@mail.test', constructor: 'x', toString: 'y' } },
        { type: 'identify', userId: 'seg-good', traits: { email: 'seg-good@mail.test', firstName: 'Sam', address: { city: 'Oakland', postalCode: 94601 } } },
      ],
    });
    expect(segment.status).toBe(200);
    expect(segment.body.results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'accepted']);
    expect(segment.body.results[0].errors.map((e: { path: string }) => e.path)).toEqual(['/traits/constructor', '/traits/toString']);

    const good = await waitFor(() => profileOf('http-good@mail.test', KEY_A), 15_000, 'the good record of the request');
    expect(good.traits).toMatchObject({ first_name: 'Ann', postal_code: '94105' });
    const sam = await waitFor(() => profileOf('seg-good@mail.test', KEY_A), 15_000, 'the good Segment message');
    expect(sam.traits).toMatchObject({ first_name: 'Sam', city: 'Oakland', postal_code: '94601' });
  });

  it('lets another tenant\'s event through within seconds of a burst of poison on the raw topic, and dead-letters each with its reason', async () => {
    const topic = t.runtime.topics.raw.crm;
    // An event valid for ingest that Postgres refuses when the resolver writes it: found in its batch.
    await t.db.pool.query("INSERT INTO test_faults VALUES ('db-poison-%', '22023', 'refused by the test: a value Postgres cannot take')");
    const hostile: Record<string, { event: Omit<RawEvent, 'event_id'>; reason: RegExp; step: string }> = {};
    const good: string[] = [];
    const poison = (id: string, traits: Record<string, unknown>, reason: RegExp, extra: Partial<RawEvent> = {}, step = 'resolver.parse-raw-event') => {
      hostile[id] = { event: raw(id, 'tenant_a', traits, extra), reason, step };
    };
    for (let round = 0; round < 4; round++) {
      poison(`ctor-${round}`, { constructor: 'x', first_name: 'Ann' }, /\/traits\/constructor is a reserved name/);
      poison(`members-${round}`, { toString: 'x', hasOwnProperty: 'y', valueOf: 'z', prototype: 'p' }, /\/traits\/toString is a reserved name.*\/traits\/prototype/);
      poison(`number-name-${round}`, { first_name: 123, last_name: 'Lee', city: 'Oakland' }, /\/traits\/first_name must be a string/);
      poison(`boolean-name-${round}`, { first_name: true, date_of_birth: '1980-01-12' }, /\/traits\/first_name must be a string/);
      poison(`number-dob-${round}`, { first_name: 'Ann', date_of_birth: 19800101 }, /\/traits\/date_of_birth must be a string/);
      poison(`huge-city-${round}`, { first_name: 'Ann', city: 'x'.repeat(200_000) }, /\/traits\/city must be at most 512 characters/);
      poison(`huge-email-${round}`, {}, /\/identity\/email must be at most 320 characters/, {
        identity: { auth_user_id: null, email: `${'a'.repeat(10_000)}@mail.test`, phone: null, anonymous_id: null, source_record_id: null },
      });
      poison(`nul-${round}`, { first_name: 'Ann' }, /\/properties\/note contains a NUL character/, { properties: { note: 'a\u0000b' } });
      poison(`db-poison-${round}`, { first_name: 'Dee' }, /^the stage failed on it: refused by the test: a value Postgres cannot take \(22023\)$/, {}, 'resolver.handle-batch');
      // Good events of the same tenant among them, one with a __proto__ key (lost in decoding).
      good.push(`direct-good-${round}`, `direct-proto-${round}`);
    }
    const messages = [
      ...Object.entries(hostile).map(([id, h]) => ({ ...h.event, event_id: id }) as RawEvent),
      ...good.map((id) => raw(id, 'tenant_a', id.startsWith('direct-proto') ? JSON.parse('{"__proto__": "x", "first_name": "Pat"}') : { first_name: 'Gus', city: 'Oakland' })),
    ].sort(() => Math.random() - 0.5);
    await t.runtime.transport.send([
      { topic, messages: messages.map((e) => ({ key: partitionKey(e), value: t.runtime.codec.encode(topic, e), headers: { 'c360-tenant': e.tenant_id } })) },
    ]);

    // Right behind the burst, a good event of another tenant.
    const started = Date.now();
    const sent = await t.request('POST', '/v1/events', KEY_B, [envelope('bea-after-poison', { first_name: 'Bea', city: 'Lyon' })]);
    expect(sent.body.accepted).toBe(1);
    const bea = await waitFor(() => profileOf('bea-after-poison@mail.test', KEY_B), 30_000, "the other tenant's profile");
    const elapsed = Date.now() - started;
    console.log(`poison burst of ${messages.length} raw events (${Object.keys(hostile).length} hostile): tenant_b's event resolved ${elapsed} ms after it was sent`);
    expect(bea.traits.first_name).toBe('Bea');
    expect(elapsed).toBeLessThan(5000);

    // The good events of the poisoned tenant resolved too, once each; no hostile one left a link.
    for (const id of good) await waitFor(() => profileOf(`${id}@mail.test`, KEY_A), 15_000, `the profile of ${id}`);
    expect(await linksOf(good)).toEqual(Object.fromEntries(good.map((id) => [id, 1])));
    expect(await linksOf(Object.keys(hostile))).toEqual({});
    const pat = await profileOf('direct-proto-0@mail.test', KEY_A);
    expect(Object.keys(pat.traits)).toEqual(['first_name']);

    // Each hostile event is on the dead-letter topic with the reason, and nothing else is.
    const dead = await deadLetters(deadLetterTopic(topic), Object.keys(hostile).length);
    expect([...dead.keys()].sort()).toEqual(Object.keys(hostile).sort());
    for (const [id, h] of Object.entries(hostile)) {
      const headers = dead.get(id)!.headers;
      expect(headers['dlq-step'], id).toBe(h.step);
      expect(headers['dlq-reason'], id).toMatch(h.reason);
      expect(headers['dlq-original-topic']).toBe(topic);
    }

    // Not stuck: healthy, nothing retrying, every dead letter counted.
    const health = await t.request('GET', '/healthz', null);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', stages: { resolver: { attempts: 0, error: null } } });
    expect(await metric('c360_stage_retrying', { stage: 'resolver' })).toBe(0);
    expect(await metric('c360_dead_letters_total', { stage: 'resolver', step: 'parse-raw-event' })).toBe(Object.keys(hostile).length - 4);
    expect(await metric('c360_dead_letters_total', { stage: 'resolver', step: 'handle-batch' })).toBe(4);
  }, 90_000);

  it('reports the resolver retrying while Postgres refuses its writes, 503 degraded past the threshold, and recovers', async () => {
    await t.db.pool.query("INSERT INTO test_faults VALUES ('outage-%', '57P03', 'the database system is starting up')");
    const sent = await t.request('POST', '/v1/events', KEY_B, [envelope('outage-1', { first_name: 'Oli' })]);
    expect(sent.body.accepted).toBe(1);

    const degraded = await waitFor(
      async () => {
        const r = await t.request('GET', '/healthz', null);
        return r.status === 503 ? r.body : null;
      },
      20_000,
      '/healthz to answer 503',
    );
    expect(degraded).toMatchObject({ status: 'degraded', stages: { resolver: { state: 'retrying', error: 'the database system is starting up (57P03)' } } });
    expect(degraded.stages.resolver.attempts).toBeGreaterThanOrEqual(2);
    expect(Date.now() - Date.parse(degraded.stages.resolver.since)).toBeGreaterThanOrEqual(1500);
    expect(degraded.stages.enrich.state).not.toBe('retrying');
    expect(await metric('c360_stage_retrying', { stage: 'resolver' })).toBe(1);
    const scraped = await t.request('GET', '/metrics', null);
    expect(scraped.body).toMatch(/c360_stage_retrying\{stage="resolver"\} 1/);
    expect(scraped.body).toMatch(/c360_stage_last_progress_timestamp_seconds\{stage="resolver"\} \d/);
    // Nothing of the refused batch is half-applied meanwhile.
    expect(await linksOf(['outage-1'])).toEqual({});
    expect(await profileOf('outage-1@mail.test', KEY_B)).toBeNull();

    await t.db.pool.query("DELETE FROM test_faults WHERE match = 'outage-%'");
    const oli = await waitFor(() => profileOf('outage-1@mail.test', KEY_B), 20_000, 'the event after the recovery');
    expect(oli.traits.first_name).toBe('Oli');
    expect(await linksOf(['outage-1'])).toEqual({ 'outage-1': 1 });
    const healthy = await waitFor(
      async () => {
        const r = await t.request('GET', '/healthz', null);
        return r.status === 200 ? r.body : null;
      },
      10_000,
      '/healthz to answer 200 again',
    );
    expect(healthy.stages.resolver).toMatchObject({ attempts: 0, error: null });
    expect(await metric('c360_stage_retrying', { stage: 'resolver' })).toBe(0);
    expect(Date.parse(healthy.stages.resolver.last_progress_at)).toBeGreaterThan(Date.parse(degraded.stages.resolver.since));
  }, 60_000);
});
