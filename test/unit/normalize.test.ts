import { describe, expect, it } from 'vitest';
import {
  EMAIL_PROVIDER_RULES,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeId,
  normalizePhone,
  normalizePostcode,
} from '../../resolver/normalize.ts';

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

describe('normalizeEmail with provider rules', () => {
  const rules = { providerRules: true };

  it.each([
    // Google Mail: dots and +tags dropped, googlemail.com is gmail.com
    ['john.smith@gmail.com', 'johnsmith@gmail.com'],
    ['J.o.h.n.Smith@Gmail.com', 'johnsmith@gmail.com'],
    ['johnsmith+shop@gmail.com', 'johnsmith@gmail.com'],
    ['john.smith+shop.2024@gmail.com', 'johnsmith@gmail.com'],
    ['john.smith+a+b@gmail.com', 'johnsmith@gmail.com'],
    ['john.smith@googlemail.com', 'johnsmith@gmail.com'],
    ['John.Smith+news@GoogleMail.com', 'johnsmith@gmail.com'],
    // Outlook.com, iCloud, Proton, Fastmail: +tags dropped, dots kept
    ['john.smith+x@outlook.com', 'john.smith@outlook.com'],
    ['john.smith+x@hotmail.com', 'john.smith@hotmail.com'],
    ['john.smith+x@live.com', 'john.smith@live.com'],
    ['john.smith+x@icloud.com', 'john.smith@icloud.com'],
    ['john.smith+x@me.com', 'john.smith@me.com'],
    ['john.smith+x@mac.com', 'john.smith@mac.com'],
    ['john.smith+x@protonmail.com', 'john.smith@protonmail.com'],
    ['john.smith+x@proton.me', 'john.smith@proton.me'],
    ['john.smith+x@pm.me', 'john.smith@pm.me'],
    ['john.smith+x@fastmail.com', 'john.smith@fastmail.com'],
    // other domains are kept as typed: Yahoo's "-" is not a tag of the account's own name
    ['john.smith+x@company.test', 'john.smith+x@company.test'],
    ['john.smith-x@yahoo.com', 'john.smith-x@yahoo.com'],
    ['john.smith+x@yahoo.com', 'john.smith+x@yahoo.com'],
    // a subdomain is another domain
    ['john.smith+x@mail.gmail.com', 'john.smith+x@mail.gmail.com'],
    ['john.smith@gmail.co.uk', 'john.smith@gmail.co.uk'],
  ])('%j → %j', (raw, value) => {
    expect(normalizeEmail(raw, rules)).toEqual({ value });
  });

  it('without the option keeps dots, tags and the domain (the default)', () => {
    expect(normalizeEmail('John.Smith+news@GoogleMail.com')).toEqual({ value: 'john.smith+news@googlemail.com' });
    expect(normalizeEmail('John.Smith+news@GoogleMail.com', {})).toEqual({ value: 'john.smith+news@googlemail.com' });
    expect(normalizeEmail('John.Smith+news@GoogleMail.com', { providerRules: false })).toEqual({
      value: 'john.smith+news@googlemail.com',
    });
  });

  it('rejects an address whose local part is only a tag or dots', () => {
    expect(normalizeEmail('+news@gmail.com', rules)).toEqual({ rejected: 'not an email address' });
    expect(normalizeEmail('...@gmail.com', rules)).toEqual({ rejected: 'not an email address' });
    expect(normalizeEmail('+news@outlook.com', rules)).toEqual({ rejected: 'not an email address' });
  });

  it('rejects a junk address that the rules reveal', () => {
    expect(normalizeEmail('t.e.s.t@gmail.com', rules)).toEqual({ rejected: 'junk email' });
    expect(normalizeEmail('noemail+pos@outlook.com', rules)).toEqual({ rejected: 'junk email' });
    expect(normalizeEmail('test+1@gmail.com', rules)).toEqual({ rejected: 'junk email' });
  });

  it('still rejects what is not an address', () => {
    expect(normalizeEmail('john smith@gmail.com', rules)).toEqual({ rejected: 'not an email address' });
  });

  it('exports its rules, each domain in one rule only', () => {
    const domains = EMAIL_PROVIDER_RULES.flatMap((r) => r.domains);
    expect(new Set(domains).size).toBe(domains.length);
    expect(domains).toContain('gmail.com');
    expect(domains).not.toContain('yahoo.com');
    const google = EMAIL_PROVIDER_RULES.find((r) => r.domains.includes('googlemail.com'));
    expect(google).toMatchObject({ canonicalDomain: 'gmail.com', dropDots: true, dropPlusTag: true });
    for (const rule of EMAIL_PROVIDER_RULES.filter((r) => r !== google)) {
      expect(rule, rule.provider).toMatchObject({ dropDots: false, dropPlusTag: true });
    }
  });
});

describe('normalizeDateOfBirth', () => {
  const today = new Date('2026-06-15T12:00:00Z');

  it.each([
    // year first
    ['1980-01-12', '1980-01-12'],
    ['1980/01/12', '1980-01-12'],
    ['1980.01.12', '1980-01-12'],
    ['1980-1-2', '1980-01-02'],
    ['19800112', '1980-01-12'],
    // ISO date-times and trailing times: the date as written
    ['1980-01-12T00:00:00Z', '1980-01-12'],
    ['1980-01-12T23:30:00-05:00', '1980-01-12'],
    ['1980-01-12T23:30:00.000+0200', '1980-01-12'],
    ['1980-01-12 00:00:00', '1980-01-12'],
    ['01/12/1980 12:00 AM', '1980-01-12'],
    // month names
    ['12 Jan 1980', '1980-01-12'],
    ['12 January 1980', '1980-01-12'],
    ['12-Jan-1980', '1980-01-12'],
    ['12th January, 1980', '1980-01-12'],
    ['1st Sept 1980', '1980-09-01'],
    ['Jan 12, 1980', '1980-01-12'],
    ['Jan. 12, 1980', '1980-01-12'],
    ['January 12 1980', '1980-01-12'],
    ['JANUARY 12TH, 1980', '1980-01-12'],
    ['  dec 3 1999 ', '1999-12-03'],
    // leap years
    ['2000-02-29', '2000-02-29'],
    ['1996-02-29', '1996-02-29'],
    ['29/02/2004', '2004-02-29'],
    // the limits: today, and exactly 130 years ago
    ['2026-06-15', '2026-06-15'],
    ['1896-06-15', '1896-06-15'],
  ])('%j → %j', (raw, value) => {
    expect(normalizeDateOfBirth(raw, { today })).toEqual({ value });
  });

  describe('day and month order of numeric dates with the year last', () => {
    it.each([
      // both readings are dates: dateOrder decides, MDY by default
      ['01/02/1980', undefined, '1980-01-02'],
      ['01/02/1980', 'MDY', '1980-01-02'],
      ['01/02/1980', 'DMY', '1980-02-01'],
      ['05.06.1980', 'DMY', '1980-06-05'],
      ['05-06-1980', 'MDY', '1980-05-06'],
      ['1/2/1980', 'DMY', '1980-02-01'],
      // one reading only is a date: taken whatever the order
      ['13/01/1980', 'MDY', '1980-01-13'],
      ['13/01/1980', 'DMY', '1980-01-13'],
      ['01/13/1980', 'DMY', '1980-01-13'],
      ['31.12.1980', 'MDY', '1980-12-31'],
      // both readings the same
      ['07/07/1980', 'DMY', '1980-07-07'],
      // Feb 29: a date in one reading only in a leap year
      ['02/29/2000', 'DMY', '2000-02-29'],
    ] as const)('%j with %s → %j', (raw, dateOrder, value) => {
      expect(normalizeDateOfBirth(raw, { today, dateOrder })).toEqual({ value });
    });
  });

  it.each([
    ['', 'empty date'],
    ['   ', 'empty date'],
    ['yesterday', 'not a recognised date'],
    ['12/1980', 'not a recognised date'],
    ['1980', 'not a recognised date'],
    ['12 Foo 1980', 'not a recognised date'],
    ['1980-01-12/', 'not a recognised date'],
    ['01/02/80', 'two-digit year is ambiguous'],
    ['12 Jan 80', 'two-digit year is ambiguous'],
    // not on the calendar
    ['1980-02-30', 'not a calendar date'],
    ['1980-04-31', 'not a calendar date'],
    ['1980-13-01', 'not a calendar date'],
    ['1980-00-10', 'not a calendar date'],
    ['1980-01-00', 'not a calendar date'],
    ['2001-02-29', 'not a calendar date'],
    ['1900-02-29', 'not a calendar date'],
    ['31/31/1980', 'not a calendar date'],
    ['Feb 30, 1980', 'not a calendar date'],
    // placeholders, in any form
    ['1900-01-01', 'placeholder date'],
    ['01/01/1900', 'placeholder date'],
    ['1901-01-01', 'placeholder date'],
    ['1970-01-01', 'placeholder date'],
    ['1970-01-01T00:00:00Z', 'placeholder date'],
    ['Jan 1, 1970', 'placeholder date'],
    ['0000-00-00', 'placeholder date'],
    ['00000000', 'placeholder date'],
    ['00/00/0000', 'placeholder date'],
    ['9999-12-31', 'placeholder date'],
    ['99991231', 'placeholder date'],
    // out of range
    ['2026-06-16', 'date of birth in the future'],
    ['2030-01-01', 'date of birth in the future'],
    ['1896-06-14', 'date of birth more than 130 years ago'],
    ['1850-05-05', 'date of birth more than 130 years ago'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(normalizeDateOfBirth(raw, { today })).toEqual({ rejected: reason });
  });

  it('judges the future by today by default', () => {
    const nextYear = new Date().getUTCFullYear() + 1;
    expect(normalizeDateOfBirth(`${nextYear}-01-01`)).toEqual({ rejected: 'date of birth in the future' });
    expect(normalizeDateOfBirth('1980-01-12')).toEqual({ value: '1980-01-12' });
  });
});

describe('normalizePostcode', () => {
  it.each([
    // trimmed, upper case, spaces collapsed
    [' 75008 ', 'FR', '75008'],
    ['10115', 'DE', '10115'],
    ['d02  x285', 'IE', 'D02 X285'],
    ['94105', undefined, '94105'],
    // UK: one space before the inward code, typed or not
    ['sw1a1aa', 'GB', 'SW1A 1AA'],
    ['SW1A 1AA', 'GB', 'SW1A 1AA'],
    ['sw1a   1aa', 'UK', 'SW1A 1AA'],
    ['M1 1AE', 'GB', 'M1 1AE'],
    ['m11ae', 'gb', 'M1 1AE'],
    ['EC1A1BB', undefined, 'EC1A 1BB'],
    ['B33 8TH', undefined, 'B33 8TH'],
    // Canada, US ZIP+4, the Netherlands
    ['k1a0b1', 'CA', 'K1A 0B1'],
    ['K1A 0B1', 'CA', 'K1A 0B1'],
    ['941051234', 'US', '94105-1234'],
    ['94105 1234', 'US', '94105-1234'],
    ['94105-1234', 'US', '94105-1234'],
    ['02134', 'US', '02134'],
    ['1234ab', 'NL', '1234 AB'],
    ['1234 AB', 'NL', '1234 AB'],
  ])('%j (%s) → %j', (raw, country, value) => {
    expect(normalizePostcode(raw, country)).toEqual({ value });
  });

  it.each([
    ['', 'junk postcode'],
    ['  ', 'junk postcode'],
    ['N/A', 'junk postcode'],
    ['unknown', 'junk postcode'],
    ['00000', 'junk postcode'],
    ['0000-000', 'junk postcode'],
    ['XXXXX', 'junk postcode'],
    ['12#45', 'not a postcode'],
    ['SW1A 1AA, London', 'not a postcode'],
    ['1234567890123', 'not a postcode'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(normalizePostcode(raw)).toEqual({ rejected: reason });
  });
});
