import { describe, expect, it } from 'vitest';
import {
  compileBlocklist,
  EMPTY_BLOCKLIST,
  isBlocked,
  MAX_BLOCKLIST_ENTRIES,
  normalizeEmailDomain,
  parseBlocklistEntries,
  type BlocklistEntry,
} from '../../resolver/blocklist.ts';
import { extractIdentifiers, type Identifier } from '../../resolver/identifiers.ts';
import { normalizeEmail, normalizeId, normalizePhone } from '../../resolver/normalize.ts';
import type { Identity, RawEvent } from '../../schemas/types.ts';

function parsed(input: unknown, region = 'US'): BlocklistEntry[] {
  const result = parseBlocklistEntries(input, region);
  if ('problems' in result) throw new Error(JSON.stringify(result.problems));
  return result.entries;
}

function problems(input: unknown, region = 'US') {
  const result = parseBlocklistEntries(input, region);
  if (!('problems' in result)) throw new Error('expected problems');
  return result.problems;
}

const id = (type: Identifier['type'], value: string, source = ''): Identifier => ({ type, source, value });

function rawEvent(identity: Partial<Identity>, source: RawEvent['source'] = 'pos'): RawEvent {
  return {
    event_id: 'e-1',
    tenant_id: 'acme',
    source,
    type: 'order_completed',
    occurred_at: Date.UTC(2026, 0, 1),
    received_at: Date.UTC(2026, 0, 2),
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
    traits: {},
    properties: {},
  };
}

describe('parseBlocklistEntries', () => {
  it('normalizes every entry with the normalizers of identifiers', () => {
    expect(
      parsed([
        { type: 'email', value: '  NoEmail@Acme-Shop.com ', reason: 'till placeholder' },
        { type: 'email_domain', value: '@Acme-Internal.TEST' },
        { type: 'phone', value: '+1 415 555 0100' },
        { type: 'auth_user_id', value: ' auth|test ' },
        { type: 'source_record_id', value: 'LOYALTY-TEST-0001', source: 'pos', reason: 'test card' },
        { type: 'anonymous_id', value: 'anon-kiosk', reason: null },
      ]),
    ).toEqual([
      { type: 'email', value: 'noemail@acme-shop.com', source: null, reason: 'till placeholder' },
      { type: 'email_domain', value: 'acme-internal.test', source: null, reason: null },
      { type: 'phone', value: '+14155550100', source: null, reason: null },
      { type: 'auth_user_id', value: 'auth|test', source: null, reason: null },
      { type: 'source_record_id', value: 'LOYALTY-TEST-0001', source: 'pos', reason: 'test card' },
      { type: 'anonymous_id', value: 'anon-kiosk', source: null, reason: null },
    ]);
  });

  it('gives two spellings of one phone one entry, the last reason winning', () => {
    expect(
      parsed([
        { type: 'phone', value: '+1 (415) 555-0100', reason: 'first' },
        { type: 'phone', value: '+14155550100', reason: 'second' },
        { type: 'phone', value: '(415) 555-0100' },
      ]),
    ).toEqual([{ type: 'phone', value: '+14155550100', source: null, reason: null }]);
  });

  it('reads phones without a country code in the region given', () => {
    expect(parsed([{ type: 'phone', value: '020 7946 0958' }], 'GB')[0]!.value).toBe('+442079460958');
    expect(parsed([{ type: 'phone', value: '(415) 555-0100' }], 'US')[0]!.value).toBe('+14155550100');
  });

  it('stores emails without provider rules, as typed', () => {
    expect(parsed([{ type: 'email', value: 'Front.Desk+till@Gmail.com' }])[0]!.value).toBe('front.desk+till@gmail.com');
  });

  it('accepts values the built-in rules already refuse', () => {
    expect(parsed([{ type: 'phone', value: '+44 7777 777777' }, { type: 'email', value: 'test@test.com' }, { type: 'auth_user_id', value: 'unknown' }]).map((e) => e.value)).toEqual([
      '+447777777777',
      'test@test.com',
      'unknown',
    ]);
  });

  it('accepts an empty list', () => {
    expect(parsed([])).toEqual([]);
  });

  it('refuses bad entries with their index and reason, and never echoes the value', () => {
    const found = problems([
      { type: 'fax', value: '123' },
      { type: 'phone', value: '555-01' },
      { type: 'email', value: 'secret-person-at-nowhere' },
      { type: 'email', value: '@acme-internal.test' },
      { type: 'email_domain', value: 'localhost' },
      { type: 'email', value: '' },
      { type: 'email', value: 'ok@acme.test', reason: 42 },
      { type: 'email', value: 'ok@acme.test', source: 'pos' },
      { type: 'source_record_id', value: 'X-1', source: 'fax' },
      { type: 'email', value: 'ok@acme.test', colour: 'red' },
      'noemail@acme-shop.com',
      { value: 'ok@acme.test' },
      { type: 'auth_user_id', value: 'x'.repeat(300) },
      { type: 'email', value: 'fine@acme.test' },
      { type: 'anonymous_id', value: 'a\u0000b' },
    ]);
    expect(found.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);
    expect(found[13]!.message).toBe('entries[14].value: must not contain NUL characters');
    expect(found[0]!.message).toBe('entries[0].type: unknown type "fax"; one of email, email_domain, phone, auth_user_id, anonymous_id, source_record_id');
    expect(found[1]!.message).toBe('entries[1].value: not a valid phone number (numbers without a country code are read in region US)');
    expect(found[2]!.message).toMatch(/^entries\[2\]\.value: not an email address \(for every address of a domain use type "email_domain"\)$/);
    expect(found[3]!.message).toMatch(/^entries\[3\]\.value: not an email address/);
    expect(found[4]!.message).toMatch(/^entries\[4\]\.value: not an email domain/);
    expect(found[5]!.message).toBe('entries[5].value: must be a non-empty string');
    expect(found[6]!.message).toBe('entries[6].reason: must be a string or null');
    expect(found[7]!.message).toBe('entries[7].source: only entries of type source_record_id have a source');
    expect(found[8]!.message).toMatch(/^entries\[8\]\.source: one of crm, pos/);
    expect(found[9]!.message).toBe('entries[9]: unknown field "colour"');
    expect(found[10]!.message).toMatch(/^entries\[10\]: must be an object/);
    expect(found[11]!.message).toMatch(/^entries\[11\]\.type: type is missing/);
    expect(found[12]!.message).toBe('entries[12].value: identifier longer than 256 characters');
    for (const p of found) {
      expect(p.message).not.toContain('555-01');
      expect(p.message).not.toContain('secret-person');
      expect(p.message).not.toContain('localhost');
    }
  });

  it('refuses something that is not a list, and a list too long', () => {
    expect(problems({ type: 'email', value: 'a@b.test' })).toEqual([{ index: null, message: 'entries must be a list of {"type", "value", "reason"}' }]);
    const many = Array.from({ length: MAX_BLOCKLIST_ENTRIES + 1 }, (_, i) => ({ type: 'anonymous_id', value: `a${i}` }));
    expect(problems(many)[0]!.message).toMatch(/^at most 10000 entries per tenant/);
  });
});

describe('keepJunk: the normalized value of a junk value, for lists of values to block', () => {
  it('gives junk values normalized instead of refusing them', () => {
    expect(normalizeEmail(' NoEmail@Acme-Shop.com ', { keepJunk: true })).toEqual({ value: 'noemail@acme-shop.com' });
    expect(normalizePhone('+44 7777 777777', 'US', { keepJunk: true })).toEqual({ value: '+447777777777' });
    expect(normalizeId(' Unknown ', { keepJunk: true })).toEqual({ value: 'Unknown' });
  });

  it('still refuses what is not a value of the type', () => {
    expect(normalizeEmail('not-an-email', { keepJunk: true })).toEqual({ rejected: 'not an email address' });
    expect(normalizePhone('12', 'US', { keepJunk: true })).toEqual({ rejected: 'not a valid phone number' });
    expect(normalizeId('   ', { keepJunk: true })).toEqual({ rejected: 'junk identifier' });
  });

  it('changes nothing without it', () => {
    expect(normalizeEmail('noemail@acme-shop.com')).toEqual({ rejected: 'junk email' });
    expect(normalizePhone('+44 7777 777777', 'US')).toEqual({ rejected: 'junk phone' });
    expect(normalizeId('unknown')).toEqual({ rejected: 'junk identifier' });
  });
});

describe('normalizeEmailDomain', () => {
  it.each([
    ['acme-internal.test', 'acme-internal.test'],
    ['@ACME-internal.test', 'acme-internal.test'],
    [' mail.acme.co.uk. ', 'mail.acme.co.uk'],
  ])('%s gives %s', (raw, value) => {
    expect(normalizeEmailDomain(raw)).toEqual({ value });
  });

  it.each(['localhost', 'a@b.test', 'acme .test', '', '@', '.test', 'acme..test'])('refuses %j', (raw) => {
    expect(normalizeEmailDomain(raw)).toHaveProperty('rejected');
  });
});

describe('isBlocked', () => {
  const blocklist = compileBlocklist(
    parsed([
      { type: 'email', value: 'noemail@acme-shop.com' },
      { type: 'email', value: 'Front.Desk@gmail.com' },
      { type: 'email_domain', value: 'acme-internal.test' },
      { type: 'phone', value: '+1 415 555 0100' },
      { type: 'auth_user_id', value: 'auth|qa' },
      { type: 'source_record_id', value: 'LOYALTY-TEST-1', source: 'pos' },
      { type: 'source_record_id', value: 'ANY-TEST-9' },
    ]),
  );

  it('matches exact values of the same type only', () => {
    expect(isBlocked(blocklist, id('email', 'noemail@acme-shop.com'))).toBe(true);
    expect(isBlocked(blocklist, id('phone', '+14155550100'))).toBe(true);
    expect(isBlocked(blocklist, id('auth_user_id', 'auth|qa'))).toBe(true);
    expect(isBlocked(blocklist, id('anonymous_id', 'auth|qa'))).toBe(false);
    expect(isBlocked(blocklist, id('phone', '+14155550101'))).toBe(false);
    expect(isBlocked(blocklist, id('email', 'ann@acme-shop.com'))).toBe(false);
  });

  it('matches every address of a blocked domain and its subdomains, not look-alikes', () => {
    expect(isBlocked(blocklist, id('email', 'ann@acme-internal.test'))).toBe(true);
    expect(isBlocked(blocklist, id('email', 'ann@eu.mail.acme-internal.test'))).toBe(true);
    expect(isBlocked(blocklist, id('email', 'ann@notacme-internal.test'))).toBe(false);
    expect(isBlocked(blocklist, id('email', 'acme-internal.test@mail.test'))).toBe(false);
    expect(isBlocked(blocklist, id('email', 'ann@internal.test'))).toBe(false);
  });

  it('matches source record IDs of their source, or of every source without one', () => {
    expect(isBlocked(blocklist, id('source_record_id', 'LOYALTY-TEST-1', 'pos'))).toBe(true);
    expect(isBlocked(blocklist, id('source_record_id', 'LOYALTY-TEST-1', 'crm'))).toBe(false);
    expect(isBlocked(blocklist, id('source_record_id', 'ANY-TEST-9', 'crm'))).toBe(true);
    expect(isBlocked(blocklist, id('source_record_id', 'ANY-TEST-9', 'web'))).toBe(true);
  });

  it('covers the provider-rules form of a blocked email', () => {
    expect(isBlocked(blocklist, id('email', 'front.desk@gmail.com'))).toBe(true);
    expect(isBlocked(blocklist, id('email', 'frontdesk@gmail.com'))).toBe(true);
  });

  it('blocks nothing when empty', () => {
    expect(isBlocked(EMPTY_BLOCKLIST, id('phone', '+14155550100'))).toBe(false);
    expect(compileBlocklist([]).size).toBe(0);
  });
});

describe('extractIdentifiers with a blocklist', () => {
  const blocklist = compileBlocklist(
    parsed([
      { type: 'email', value: 'noemail@acme-shop.com' },
      { type: 'email', value: 'till@acme-shop.com' },
      { type: 'email', value: 'front.desk@gmail.com' },
      { type: 'email_domain', value: 'acme-internal.test' },
      { type: 'phone', value: '+1 415 555 0100' },
      { type: 'source_record_id', value: 'LOYALTY-TEST-1', source: 'pos' },
    ]),
  );

  it('rejects a blocked value with the reason blocklisted and keeps the others', () => {
    const result = extractIdentifiers(rawEvent({ phone: '(415) 555-0100', email: 'rosa@mail.test', source_record_id: 'LOYALTY-TEST-1' }), 'US', { blocklist });
    expect(result.identifiers).toEqual([id('email', 'rosa@mail.test')]);
    expect(result.rejected).toEqual([
      { type: 'phone', reason: 'blocklisted' },
      { type: 'source_record_id', reason: 'blocklisted' },
    ]);
  });

  it('gives two walk-ins sharing the shop landline no common identifier', () => {
    const a = extractIdentifiers(rawEvent({ phone: '+1 415 555 0100', email: 'rosa@mail.test' }), 'US', { blocklist });
    const b = extractIdentifiers(rawEvent({ phone: '415.555.0100', email: 'sam@mail.test' }), 'US', { blocklist });
    const keys = (r: typeof a) => r.identifiers.map((i) => `${i.type}:${i.value}`);
    expect(keys(a).filter((k) => keys(b).includes(k))).toEqual([]);
    expect(keys(a)).toEqual(['email:rosa@mail.test']);
  });

  it('blocks the store email and a blocked domain whatever their case', () => {
    expect(extractIdentifiers(rawEvent({ email: ' TILL@Acme-Shop.com ' }), 'US', { blocklist }).rejected).toEqual([{ type: 'email', reason: 'blocklisted' }]);
    expect(extractIdentifiers(rawEvent({ email: 'qa.bot@acme-internal.test' }), 'US', { blocklist }).rejected).toEqual([{ type: 'email', reason: 'blocklisted' }]);
  });

  it('keeps the built-in reason for values the built-in rules refuse', () => {
    expect(extractIdentifiers(rawEvent({ email: 'noemail@acme-shop.com' }), 'US', { blocklist }).rejected).toEqual([{ type: 'email', reason: 'junk email' }]);
  });

  it('blocks every spelling of a blocked mailbox when the tenant uses provider rules', () => {
    for (const email of ['front.desk@gmail.com', 'frontdesk+till@googlemail.com', 'Front.Desk@Gmail.com']) {
      const result = extractIdentifiers(rawEvent({ email }), 'US', { blocklist, emailProviderRules: true });
      expect(result).toEqual({ identifiers: [], rejected: [{ type: 'email', reason: 'blocklisted' }] });
    }
    // Without provider rules the address as typed is the key: another spelling is another mailbox.
    expect(extractIdentifiers(rawEvent({ email: 'front.desk+x@gmail.com' }), 'US', { blocklist }).identifiers).toEqual([id('email', 'front.desk+x@gmail.com')]);
  });

  it('is the same as before without a blocklist or with an empty one', () => {
    const event = rawEvent({ phone: '(415) 555-0100', email: 'till@acme-shop.com' });
    const before = extractIdentifiers(event, 'US');
    expect(before.identifiers).toEqual([id('email', 'till@acme-shop.com'), id('phone', '+14155550100')]);
    expect(extractIdentifiers(event, 'US', { blocklist: EMPTY_BLOCKLIST })).toEqual(before);
    expect(extractIdentifiers(event, 'US', { emailProviderRules: false })).toEqual(before);
  });
});
