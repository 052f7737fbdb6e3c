/**
 * The resolver's parse step on events written to the raw topic without ingest: a value the
 * resolver cannot use is a dead letter naming the field; what ingest would clean is cleaned;
 * the maps it hands on have no prototype. The resolver's own code copes with such names too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createParseRawEventStep } from '../../resolver/parse-raw-event.ts';
import { sameTraits, traitsOf } from '../../resolver/decide.ts';
import { TRAIT_NAMES, personRecordOfEvent } from '../../resolver/fuzzy/of-event.ts';
import { extractIdentifiers } from '../../resolver/identifiers.ts';
import { recordValues, survive } from '../../resolver/survivorship.ts';
import { createCodec, type Codec } from '../../schemas/codec.ts';
import { RESERVED_ATTRIBUTE_NAMES, TEXT_TRAITS } from '../../schemas/event-rules.ts';
import { memorySchemaStore } from '../../schemas/schema-store.ts';
import { topicNames } from '../../schemas/topics.ts';
import type { RawEvent } from '../../schemas/types.ts';
import type { InboundMessage } from '../../platform/transport.ts';

const topics = topicNames('c360');

const event = (overrides: Partial<RawEvent> = {}): RawEvent => ({
  event_id: 'evt-1',
  tenant_id: 'acme',
  source: 'crm',
  type: 'contact_updated_custom',
  occurred_at: Date.UTC(2026, 0, 15),
  received_at: Date.UTC(2026, 0, 15),
  identity: { auth_user_id: null, email: 'ann@mail.test', phone: null, anonymous_id: null, source_record_id: 'CRM-1' },
  traits: { first_name: 'Ann', city: 'Oakland' },
  properties: {},
  ...overrides,
});

describe('parse-raw-event', () => {
  let codec: Codec;
  let parse: ReturnType<typeof createParseRawEventStep>;
  beforeAll(async () => {
    codec = await createCodec({ store: memorySchemaStore(), topics });
    parse = createParseRawEventStep(codec);
  });
  const message = (value: unknown): InboundMessage => ({
    topic: topics.raw.crm,
    partition: 0,
    offset: '0',
    key: 'acme:x',
    value: codec.encode(topics.raw.crm, value),
    headers: {},
  });
  const parsed = async (overrides: Partial<RawEvent>) => parse(message(event(overrides)));
  const reasonOf = async (overrides: Partial<RawEvent>) => {
    const result = await parsed(overrides);
    if (result.type !== 'dlq') throw new Error(`expected a dead letter, got ${result.type}`);
    expect(result.step).toBe('parse-raw-event');
    return result.reason;
  };

  it('hands on a good event with maps that have no prototype', async () => {
    const result = await parsed({ properties: { amount: 12.5, vip: true } });
    if (result.type !== 'ok') throw new Error(result.reason);
    expect(result.value.traits).toEqual({ first_name: 'Ann', city: 'Oakland' });
    expect(Object.getPrototypeOf(result.value.traits)).toBeNull();
    expect(Object.getPrototypeOf(result.value.properties)).toBeNull();
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'])('sends a trait or property named %s to the dead letters, naming it', async (name) => {
    expect(await reasonOf({ traits: { [name]: 'x', first_name: 'Ann' } })).toContain(`/traits/${name} is a reserved name`);
    expect(await reasonOf({ properties: { [name]: 1 } })).toContain(`/properties/${name} is a reserved name`);
  });

  it('loses a __proto__ key in the Avro decoding (the assignment does nothing), and the rest of the event stays', async () => {
    const result = await parsed({ traits: JSON.parse('{"__proto__": "x", "first_name": "Ann"}') });
    if (result.type !== 'ok') throw new Error(result.reason);
    expect(Object.keys(result.value.traits)).toEqual(['first_name']);
  });

  it.each([
    ['first_name', 123],
    ['last_name', true],
    ['date_of_birth', 19800101],
    ['city', false],
  ])('sends %s given as %j to the dead letters: it must be a string', async (name, value) => {
    expect(await reasonOf({ traits: { [name]: value } })).toBe(`invalid fields: /traits/${name} must be a string`);
  });

  it('takes a postal code given as a number as its text, and a number that is not finite as null', async () => {
    const result = await parsed({ traits: { postal_code: 94105, first_name: 'Ann' }, properties: { ratio: Number.NaN, big: Number.POSITIVE_INFINITY } });
    if (result.type !== 'ok') throw new Error(result.reason);
    expect(result.value.traits).toEqual({ postal_code: '94105', first_name: 'Ann' });
    expect(result.value.properties).toEqual({ ratio: null, big: null });
  });

  it('sends values too long for the resolver, NUL characters and times Postgres cannot store to the dead letters', async () => {
    expect(await reasonOf({ traits: { city: 'x'.repeat(100_000) } })).toBe('invalid fields: /traits/city must be at most 512 characters');
    expect(await reasonOf({ identity: { ...event().identity, email: `${'a'.repeat(5000)}@mail.test` } })).toBe('invalid fields: /identity/email must be at most 320 characters');
    expect(await reasonOf({ event_id: 'e'.repeat(129) })).toContain('/event_id must be at most 128 characters');
    expect(await reasonOf({ properties: { note: 'a\u0000b' } })).toBe('invalid fields: /properties/note contains a NUL character');
    expect(await reasonOf({ traits: { first_name: 'A\u0000nn' } })).toBe('invalid fields: /traits/first_name contains a NUL character');
    expect(await reasonOf({ occurred_at: 8.64e15 })).toContain('/occurred_at must be between the years 0000 and 9999');
  });

  it('names the first five fields and counts the others', async () => {
    const traits = Object.fromEntries(['first_name', 'last_name', 'city', 'street', 'region', 'gender', 'locale'].map((n) => [n, 1]));
    expect(await reasonOf({ traits })).toMatch(/^invalid fields: (\/traits\/\w+ must be a string; ){4}\/traits\/\w+ must be a string; and 2 more$/);
  });

  it('sends an undecodable message to the dead letters', async () => {
    const result = await parse({ ...message(event()), value: Buffer.from('not avro') });
    expect(result).toMatchObject({ type: 'dlq', step: 'parse-raw-event', reason: expect.stringContaining('undecodable') });
  });
});

describe('the resolver on trait names of JavaScript objects (should one get past the parse step)', () => {
  it('prepares, records and survives the traits of an event without throwing', () => {
    const raw = event({ traits: Object.assign(Object.create(null), { constructor: 'c', toString: 't', hasOwnProperty: 'h', first_name: 'Ann', date_of_birth: '1980-01-12' }) });
    const values = traitsOf(raw);
    expect(Object.keys(values).sort()).toEqual(['constructor', 'date_of_birth', 'first_name', 'hasOwnProperty', 'toString']);
    const traits = survive(recordValues({}, values));
    const name: string = 'constructor';
    expect(traits[name]?.value).toBe('c');
    expect(sameTraits(traits, traits)).toBe(true);
    expect(sameTraits({}, traits)).toBe(false);
    expect(sameTraits(traits, {})).toBe(false);
    expect(personRecordOfEvent(raw)).toMatchObject({ given: 'ann', dob: '19800112' });
  });
});

describe('the rules of schemas/event-rules.ts', () => {
  it('hold every trait the resolver reads as text', () => {
    const read = Object.values(TRAIT_NAMES).flat();
    expect(read.filter((name) => !TEXT_TRAITS.has(name))).toEqual([]);
  });

  it('refuse every member of Object.prototype', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).filter((name) => !RESERVED_ATTRIBUTE_NAMES.has(name))).toEqual([]);
  });
});
