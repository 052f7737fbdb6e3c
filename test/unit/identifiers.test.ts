import { describe, expect, it } from 'vitest';
import { CONFIDENCE, extractIdentifiers, identifierKey, matchRule, type Identifier } from '../../resolver/identifiers.ts';
import type { Identity, RawEvent } from '../../schemas/types.ts';

function rawEvent(identity: Partial<Identity>, source: RawEvent['source'] = 'crm'): RawEvent {
  return {
    event_id: 'e-1',
    tenant_id: 'acme',
    source,
    type: 'contact_created',
    occurred_at: Date.UTC(2026, 0, 1),
    received_at: Date.UTC(2026, 0, 2),
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
    traits: {},
    properties: {},
  };
}

const id = (type: Identifier['type'], value: string, source = ''): Identifier => ({ type, source, value });

describe('extractIdentifiers', () => {
  it('normalizes every identifier of the event', () => {
    const result = extractIdentifiers(
      rawEvent({
        auth_user_id: ' auth|42 ',
        email: '  Ann.Smith@Mail.TEST ',
        phone: '(415) 555-0123',
        anonymous_id: 'anon-1',
        source_record_id: 'CRM-10001',
      }),
      'US',
    );
    expect(result.rejected).toEqual([]);
    expect(result.identifiers).toEqual([
      id('auth_user_id', 'auth|42'),
      id('email', 'ann.smith@mail.test'),
      id('phone', '+14155550123'),
      id('anonymous_id', 'anon-1'),
      id('source_record_id', 'CRM-10001', 'crm'),
    ]);
  });

  it('reads phones with the region given', () => {
    expect(extractIdentifiers(rawEvent({ phone: '020 7946 0958' }), 'GB').identifiers).toEqual([id('phone', '+442079460958')]);
  });

  it('names the source of a source record ID', () => {
    expect(extractIdentifiers(rawEvent({ source_record_id: 'POS-7' }, 'pos'), 'US').identifiers).toEqual([id('source_record_id', 'POS-7', 'pos')]);
  });

  it('gives nothing for an event without identifiers', () => {
    expect(extractIdentifiers(rawEvent({}), 'US')).toEqual({ identifiers: [], rejected: [] });
  });

  it('rejects junk values with the reason and keeps the good ones', () => {
    const result = extractIdentifiers(
      rawEvent({ auth_user_id: 'null', email: 'test@test.com', phone: '0000000000', anonymous_id: 'N/A', source_record_id: 'CRM-1' }),
      'US',
    );
    expect(result.identifiers).toEqual([id('source_record_id', 'CRM-1', 'crm')]);
    expect(result.rejected.map((r) => r.type)).toEqual(['auth_user_id', 'email', 'phone', 'anonymous_id']);
    expect(result.rejected[0]).toEqual({ type: 'auth_user_id', reason: 'junk identifier' });
    expect(result.rejected[1]).toEqual({ type: 'email', reason: 'junk email' });
    expect(result.rejected[2]?.type).toBe('phone');
    expect(result.rejected[2]?.reason).toMatch(/phone/);
  });

  it('rejects malformed values', () => {
    const result = extractIdentifiers(rawEvent({ email: 'not-an-email', phone: '12' }), 'US');
    expect(result.identifiers).toEqual([]);
    expect(result.rejected).toEqual([
      { type: 'email', reason: 'not an email address' },
      { type: 'phone', reason: 'not a valid phone number' },
    ]);
  });
});

describe('matchRule and CONFIDENCE', () => {
  const auth = id('auth_user_id', 'auth|1');
  const email = id('email', 'ann@mail.test');
  const phone = id('phone', '+14155550123');
  const anon = id('anonymous_id', 'anon-1');
  const record = id('source_record_id', 'CRM-1', 'crm');

  it.each([
    ['auth user ID', [auth], 'auth_user_id', 1.0],
    ['auth user ID with everything else', [phone, email, record, anon, auth], 'auth_user_id', 1.0],
    ['email and phone', [email, phone], 'email_phone', 0.99],
    ['email, phone and source record ID', [record, email, phone], 'email_phone', 0.99],
    ['source record ID', [record, phone], 'source_record_id', 0.98],
    ['email', [email], 'email', 0.95],
    ['email and anonymous ID', [anon, email], 'email', 0.95],
    ['anonymous ID', [anon, phone], 'anonymous_id', 0.9],
    ['phone', [phone], 'phone', 0.85],
    ['nothing shared', [], 'new_profile', 1.0],
  ] as const)('%s -> %s (%d)', (_what, shared, rule, confidence) => {
    expect(matchRule([...shared])).toBe(rule);
    expect(CONFIDENCE[matchRule([...shared])]).toBe(confidence);
  });

  it('has the confidence table of the mission', () => {
    expect(CONFIDENCE.auth_user_id).toBe(1.0);
    expect(CONFIDENCE.email_phone).toBe(0.99);
    expect(CONFIDENCE.email).toBe(0.95);
    expect(CONFIDENCE.phone).toBe(0.85);
  });
});

describe('identifierKey', () => {
  it('separates tenants, types and sources', () => {
    const a = identifierKey('acme', id('source_record_id', '1', 'crm'));
    expect(a).toBe('acme\u001fsource_record_id\u001fcrm\u001f1');
    expect(identifierKey('globex', id('source_record_id', '1', 'crm'))).not.toBe(a);
    expect(identifierKey('acme', id('source_record_id', '1', 'pos'))).not.toBe(a);
    expect(identifierKey('acme', id('anonymous_id', '1'))).not.toBe(identifierKey('acme', id('auth_user_id', '1')));
  });
});

describe('extractIdentifiers with email provider rules', () => {
  it('folds Gmail dots and +tags only when the tenant asks for it', () => {
    const event = rawEvent({ email: 'Jo.Doe+news@gmail.com' });
    expect(extractIdentifiers(event, 'US').identifiers[0]!.value).toBe('jo.doe+news@gmail.com');
    expect(extractIdentifiers(event, 'US', { emailProviderRules: true }).identifiers[0]!.value).toBe('jodoe@gmail.com');
  });
});
