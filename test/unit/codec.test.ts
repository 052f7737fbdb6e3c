import { beforeAll, describe, expect, it } from 'vitest';
import { memorySchemaStore, type SchemaStore } from '../../schemas/schema-store.ts';
import { createCodec, type Codec } from '../../schemas/codec.ts';
import { consumerGroup, topicNames } from '../../schemas/topics.ts';
import type { RawEvent, ResolvedEvent } from '../../schemas/types.ts';

const topics = topicNames('c360');

const rawEvent: RawEvent = {
  event_id: 'evt-1',
  tenant_id: 'acme',
  source: 'crm',
  type: 'contact_created',
  occurred_at: Date.UTC(2026, 0, 15, 10, 30),
  received_at: Date.UTC(2026, 0, 15, 10, 31),
  identity: { auth_user_id: null, email: 'ann.smith@mail.test', phone: '(415) 555-0123', anonymous_id: null, source_record_id: 'CRM-1' },
  traits: { first_name: 'Ann', age: 42, vip: true, nickname: null, address: '{"city":"Oakland"}' },
  properties: { amount: 12.5 },
};

describe('codec with the in-process registry', () => {
  let store: SchemaStore;
  let codec: Codec;

  beforeAll(async () => {
    store = memorySchemaStore();
    codec = await createCodec({ store, topics });
  });

  it('names the topics from the prefix', () => {
    expect(topics).toEqual({
      prefix: 'c360',
      raw: { crm: 'c360.raw.crm', pos: 'c360.raw.pos', web: 'c360.raw.web', messaging: 'c360.raw.messaging' },
      resolved: 'c360.events.resolved',
      profileChanges: 'c360.profiles.changes',
      segmentChanges: 'c360.segments.changes',
    });
    expect(consumerGroup(topics, 'resolver')).toBe('c360-resolver');
    expect(consumerGroup(topicNames('acme'), 'enrich')).toBe('acme-enrich');
  });

  it('encodes a RawEvent in the Confluent wire format: magic byte 0 and the 4-byte schema ID', async () => {
    const payload = codec.encode(topics.raw.crm, rawEvent);
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(payload[0]).toBe(0);
    const written = JSON.parse(await store.schemaById(payload.readInt32BE(1)));
    expect(written.name).toBe('RawEvent');
    expect(written.fields.map((f: { name: string }) => f.name)).toContain('contact_created');
    expect(written.fields.map((f: { name: string }) => f.name)).not.toContain('order_completed');
    expect((await store.check(`${topics.raw.crm}-value`, JSON.stringify(written))).status).toBe('unchanged');
    expect(payload.length).toBeGreaterThan(5);
  });

  it('decodes what it encoded', async () => {
    const payload = await codec.encode(topics.raw.crm, rawEvent);
    const decoded = await codec.decode<RawEvent>(topics.raw.crm, payload);
    expect(decoded).toMatchObject(rawEvent);
    expect(decoded.contact_created).toBeNull();
    expect(typeof decoded.occurred_at).toBe('number');
  });

  it('round-trips a ResolvedEvent on the resolved topic', async () => {
    const resolved: ResolvedEvent = {
      event_id: 'evt-1',
      tenant_id: 'acme',
      customer360_id: '6f1c2a2e-0a3f-4a7e-9b1e-0d2f7f0e8c11',
      confidence: 0.95,
      matched_rule: 'email',
      source: 'web',
      type: 'identify',
      occurred_at: 1,
      received_at: 2,
      properties: { url: '/p/1' },
    };
    const payload = await codec.encode(topics.resolved, resolved);
    expect(payload[0]).toBe(0);
    const decoded = await codec.decode<ResolvedEvent>(topics.resolved, payload);
    expect(decoded).toMatchObject(resolved);
    expect(decoded.order_completed).toBeNull();
  });

  it('refuses to decode garbage', async () => {
    await expect(codec.decode(topics.raw.crm, Buffer.from('garbage'))).rejects.toThrow();
    await expect(codec.decode(topics.raw.crm, Buffer.from([0, 0, 0, 0]))).rejects.toThrow();
  });

  it('refuses to decode a wire-format header followed by a truncated record', async () => {
    const payload = await codec.encode(topics.raw.crm, rawEvent);
    await expect(codec.decode(topics.raw.crm, payload.subarray(0, 12))).rejects.toThrow();
  });

  it('refuses to encode a record its schema does not allow', async () => {
    expect(() => codec.encode(topics.raw.crm, { ...rawEvent, source: 'fax' })).toThrow(/fax/);
    expect(() => codec.encode(topics.raw.crm, { ...rawEvent, traits: { address: { city: 'Oakland' } } })).toThrow();
    const { event_id: _omitted, ...withoutId } = rawEvent;
    expect(() => codec.encode(topics.raw.crm, withoutId)).toThrow();
  });
});
