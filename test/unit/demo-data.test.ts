import { describe, expect, it } from 'vitest';
import { demoEvents, demoPeople } from '../../ingest/demo-data.ts';
import { seededRandom } from '../../platform/random.ts';
import { validateEnvelope } from '../../ingest/validate-event.ts';
import { extractIdentifiers } from '../../resolver/identifiers.ts';
import { normalizeEmail, normalizePhone } from '../../resolver/normalize.ts';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 20 }, () => a());
    expect(Array.from({ length: 20 }, () => b())).toEqual(first);
  });

  it('gives another sequence for another seed', () => {
    const a = seededRandom(1);
    const b = seededRandom(2);
    expect(Array.from({ length: 5 }, () => b())).not.toEqual(Array.from({ length: 5 }, () => a()));
  });

  it('stays in [0, 1) and is spread out', () => {
    const random = seededRandom(360);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(values).size).toBeGreaterThan(9_990);
  });
});

describe('demoPeople and demoEvents', () => {
  it('are deterministic for a seed', () => {
    expect(demoPeople(50, 7)).toEqual(demoPeople(50, 7));
    expect(demoEvents(demoPeople(50, 7), 7)).toEqual(demoEvents(demoPeople(50, 7), 7));
    expect(demoPeople(50)).toEqual(demoPeople(50, 360));
  });

  it('change with the seed', () => {
    expect(demoPeople(50, 1)).not.toEqual(demoPeople(50, 2));
  });

  it('give 200 people distinct emails and distinct phones', () => {
    const people = demoPeople(200);
    expect(people).toHaveLength(200);
    expect(people.map((p) => p.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(people.map((p) => p.email)).size).toBe(200);
    expect(new Set(people.map((p) => p.phoneDigits)).size).toBe(200);
    // Also once normalized, as the resolver compares them.
    const emails = people.map((p) => normalizeEmail(p.email));
    expect(emails.every((e) => 'value' in e)).toBe(true);
    expect(new Set(emails.map((e) => ('value' in e ? e.value : ''))).size).toBe(200);
    const phones = people.map((p) => normalizePhone(p.phoneDigits, 'US'));
    expect(phones.every((p) => 'value' in p)).toBe(true);
    expect(new Set(phones.map((p) => ('value' in p ? p.value : ''))).size).toBe(200);
  });

  it('write plain ASCII lower-case emails and 10-digit fictional 555-01xx phones', () => {
    for (const p of demoPeople(200)) {
      expect(p.email).toMatch(/^[a-z]+\.[a-z]+\d+@(mail|inbox|post)\.test$/);
      expect(p.phoneDigits).toMatch(/^(415|510|650|408)55501\d\d$/);
    }
  });

  it('give events that all pass validateEnvelope, with identifiers that all normalize', () => {
    const people = demoPeople(200);
    const events = demoEvents(people);
    expect(events.length).toBeGreaterThan(200 * 5);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    for (const envelope of events) {
      const result = validateEnvelope(envelope, 'demo', Date.UTC(2026, 5, 1));
      if (!result.ok) throw new Error(`${envelope.event_id} rejected: ${JSON.stringify(result.errors)}`);
      expect(result.event.tenant_id).toBe('demo');
      const { rejected } = extractIdentifiers(result.event, 'US');
      expect(rejected, envelope.event_id).toEqual([]);
    }
  });

  it("write one person's email and phone differently across sources, but normalizing to the same values", () => {
    const [person] = demoPeople(1);
    const events = demoEvents([person!]);
    const crm = events.find((e) => e.source === 'crm')!;
    const pos = events.find((e) => e.source === 'pos')!;
    const web = events.find((e) => e.type === 'identify')!;
    expect(crm.identity.email).not.toBe(person!.email);
    expect(normalizeEmail(crm.identity.email!)).toEqual({ value: person!.email });
    expect(normalizeEmail(web.identity.email!)).toEqual({ value: person!.email });
    expect(crm.identity.phone).not.toBe(pos.identity.phone);
    expect(normalizePhone(crm.identity.phone!, 'US')).toEqual(normalizePhone(pos.identity.phone!, 'US'));
  });
});
