import { describe, expect, it } from 'vitest';
import { partitionKey } from '../../ingest/routes.ts';
import type { Identity, RawEvent } from '../../schemas/types.ts';

function rawEvent(identity: Partial<Identity>, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    event_id: 'e-1',
    tenant_id: 'acme',
    source: 'crm',
    type: 'contact_created',
    occurred_at: 1,
    received_at: 2,
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
    traits: {},
    properties: {},
    ...overrides,
  };
}

describe('partitionKey', () => {
  it('gives the same key to the same email written in another case and with spaces', () => {
    const a = partitionKey(rawEvent({ email: 'ann.smith@mail.test' }));
    const b = partitionKey(rawEvent({ email: '  ANN.Smith@Mail.TEST ' }, { event_id: 'e-2', source: 'web' }));
    expect(b).toBe(a);
  });

  it('starts with the tenant and holds a 22-character digest', () => {
    const key = partitionKey(rawEvent({ email: 'ann.smith@mail.test' }));
    expect(key).toMatch(/^acme:[A-Za-z0-9_-]{22}$/);
  });

  it('does not hold the email or phone in clear', () => {
    const byEmail = partitionKey(rawEvent({ email: 'ann.smith@mail.test' }));
    const byPhone = partitionKey(rawEvent({ phone: '+1 (415) 555-0123' }));
    for (const key of [byEmail, byPhone]) {
      expect(key).not.toContain('ann');
      expect(key).not.toContain('mail.test');
      expect(key).not.toContain('4155550123');
      expect(key).not.toContain('555');
    }
  });

  it('gives different people different keys, and the same person in another tenant another key', () => {
    const ann = partitionKey(rawEvent({ email: 'ann@mail.test' }));
    expect(partitionKey(rawEvent({ email: 'bob@mail.test' }))).not.toBe(ann);
    const other = partitionKey(rawEvent({ email: 'ann@mail.test' }, { tenant_id: 'globex' }));
    expect(other.startsWith('globex:')).toBe(true);
    expect(other.slice('globex:'.length)).toBe(ann.slice('acme:'.length));
  });

  it('uses the strongest identifier: auth user ID over email over phone', () => {
    const withAuth = partitionKey(rawEvent({ auth_user_id: 'auth|1', email: 'ann@mail.test', phone: '4155550123' }));
    expect(withAuth).toBe(partitionKey(rawEvent({ auth_user_id: 'auth|1' })));
    const withEmail = partitionKey(rawEvent({ email: 'ann@mail.test', phone: '4155550123', anonymous_id: 'anon-1' }));
    expect(withEmail).toBe(partitionKey(rawEvent({ email: 'ann@mail.test' })));
    expect(withEmail).not.toBe(partitionKey(rawEvent({ phone: '4155550123' })));
  });

  it('ignores the punctuation of a phone written the same way otherwise', () => {
    expect(partitionKey(rawEvent({ phone: '(415) 555-0123' }))).toBe(partitionKey(rawEvent({ phone: '415.555.0123' })));
  });

  it('falls back to the event ID for an event without identifiers', () => {
    const a = partitionKey(rawEvent({}, { event_id: 'cash-1' }));
    const b = partitionKey(rawEvent({}, { event_id: 'cash-2' }));
    expect(a).not.toBe(b);
    expect(a).toBe(partitionKey(rawEvent({}, { event_id: 'cash-1' })));
  });

  // BUG: the phone is reduced to its digits, not to E.164, so one number written with and
  // without its country code gets two keys ("one person's events share a partition" does not hold).
  it('gives the same key to one phone number with and without its country code', () => {
    expect(partitionKey(rawEvent({ phone: '+1 415.555.0123' }))).toBe(partitionKey(rawEvent({ phone: '(415) 555-0123' })));
  });

  // BUG: the email is not brought to NFC (the resolver does it), so the two spellings of é give two keys.
  it('gives the same key to an email written with a composed or decomposed accent', () => {
    expect(partitionKey(rawEvent({ email: 'Chloe\u0301@mail.test' }))).toBe(partitionKey(rawEvent({ email: 'chlo\u00e9@mail.test' })));
  });
});
