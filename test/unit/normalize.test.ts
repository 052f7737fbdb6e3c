import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizeId, normalizePhone } from '../../resolver/normalize.ts';

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Ann.Smith@Mail.TEST ')).toEqual({ value: 'ann.smith@mail.test' });
    expect(normalizeEmail('\tBOB@INBOX.TEST\n')).toEqual({ value: 'bob@inbox.test' });
  });

  it('brings decomposed characters to NFC, so both spellings of é are one address', () => {
    const decomposed = 'Chloe\u0301@mail.test';
    const composed = 'chlo\u00e9@mail.test';
    expect(decomposed).not.toBe(composed);
    const a = normalizeEmail(decomposed);
    const b = normalizeEmail(composed);
    expect(a).toEqual({ value: 'chlo\u00e9@mail.test' });
    expect(b).toEqual(a);
  });

  it.each([
    'test@test.com',
    'noemail@mail.test',
    'no-email@mail.test',
    'none@mail.test',
    'x@example.com',
    'someone@example.org',
    'ann@mailinator.com',
    'NoReply@Mail.Test',
    ' TEST@gmail.com ',
  ])('rejects junk email %j', (raw) => {
    expect(normalizeEmail(raw)).toEqual({ rejected: 'junk email' });
  });

  it.each(['', '   ', 'ann', 'ann@', '@mail.test', 'ann@mail', 'ann smith@mail.test', 'ann@@mail.test', 'ann@mail.t'])(
    'rejects %j as not an email address',
    (raw) => {
      expect(normalizeEmail(raw)).toEqual({ rejected: 'not an email address' });
    },
  );
});

describe('normalizePhone', () => {
  it('reads a national US number with region US', () => {
    expect(normalizePhone('(415) 555-0123', 'US')).toEqual({ value: '+14155550123' });
    expect(normalizePhone('415.555.0123', 'US')).toEqual({ value: '+14155550123' });
    expect(normalizePhone(' +1 415-555-0123 ', 'US')).toEqual({ value: '+14155550123' });
  });

  it('reads an international number whatever the region', () => {
    expect(normalizePhone('+44 20 7946 0958', 'US')).toEqual({ value: '+442079460958' });
    expect(normalizePhone('+44 20 7946 0958', 'GB')).toEqual({ value: '+442079460958' });
  });

  it('reads a national number with the region given', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toEqual({ value: '+442079460958' });
  });

  it('does not read a national number of another country as valid for the region', () => {
    expect(normalizePhone('020 7946 0958', 'US')).toHaveProperty('rejected');
  });

  it.each(['0000000000', '1111111111', '+1 111 111 1111'])('rejects junk phone %j', (raw) => {
    const result = normalizePhone(raw, 'US');
    expect(result).not.toHaveProperty('value');
    expect(result).toHaveProperty('rejected');
  });

  it.each([
    ['+44 7777 777777', 'US'],
    ['07777 777777', 'GB'],
    ['+91 99999 99999', 'US'],
    ['+49 1234567890', 'US'],
  ])('rejects %j (region %s), valid in form but a placeholder, as a junk phone', (raw, region) => {
    expect(normalizePhone(raw, region)).toEqual({ rejected: 'junk phone' });
  });

  it.each(['12', '', 'call me', '555-0123', '+1 415 555 01234567'])('rejects invalid phone %j', (raw) => {
    expect(normalizePhone(raw, 'US')).toEqual({ rejected: 'not a valid phone number' });
  });
});

describe('normalizeId', () => {
  it('trims', () => {
    expect(normalizeId('  CRM-10001 ')).toEqual({ value: 'CRM-10001' });
    expect(normalizeId('auth|abc')).toEqual({ value: 'auth|abc' });
  });

  it('keeps the case of an ID', () => {
    expect(normalizeId('AbC-123')).toEqual({ value: 'AbC-123' });
  });

  it.each(['null', 'NULL', 'unknown', 'Unknown', '', '   ', 'N/A', 'n/a', 'undefined', 'none', '-', '0', ' test '])(
    'rejects placeholder %j',
    (raw) => {
      expect(normalizeId(raw)).toEqual({ rejected: 'junk identifier' });
    },
  );

  it('rejects an ID longer than 256 characters, and keeps one of 256', () => {
    expect(normalizeId('a'.repeat(257))).toEqual({ rejected: 'identifier longer than 256 characters' });
    expect(normalizeId('a'.repeat(256))).toEqual({ value: 'a'.repeat(256) });
  });

  it('brings IDs to NFC', () => {
    expect(normalizeId('Jose\u0301')).toEqual({ value: 'Jos\u00e9' });
  });
});
