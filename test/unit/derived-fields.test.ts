/**
 * The Customer 360 fields derived in TypeScript (enrich/derived-fields.ts), on hand-made cases:
 * the age from a full or partial date of birth (the least the person can be), the completed
 * source ranking, the currency divisors of line amounts; and what an uncomputed profile has.
 * The fields computed in ClickHouse are tested on events in test/customer360-fields.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CURRENCY_DIVISORS, DEFAULT_SOURCE_PRIORITY, MARKETING_CHANNELS, ageOf, sourceRanking } from '../../enrich/derived-fields.ts';
import { NO_AGGREGATE_VALUES } from '../../enrich/aggregate-fields.ts';
import { DEFAULT_SOURCE_PRIORITY as SETTINGS_DEFAULT } from '../../resolver/graph-store.ts';
import { minorUnitsPerMajor } from '../../schemas/from-json.ts';

const on = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('age from the date of birth', () => {
  it('counts whole years from an exact date, the birthday itself included', () => {
    expect(ageOf('1990-05-17', on('2026-05-16'))).toBe(35);
    expect(ageOf('1990-05-17', on('2026-05-17'))).toBe(36);
    expect(ageOf('1990-05-17', on('2026-12-31'))).toBe(36);
    expect(ageOf('1990-05-17', on('2027-01-01'))).toBe(36);
    // Born today: 0; a year later to the day: 1.
    expect(ageOf('2026-03-04', on('2026-03-04'))).toBe(0);
    expect(ageOf('2025-03-04', on('2026-03-04'))).toBe(1);
  });

  it('reaches a February 29 birthday on March 1 in years without one, and on the day in leap years', () => {
    expect(ageOf('2004-02-29', on('2025-02-28'))).toBe(20);
    expect(ageOf('2004-02-29', on('2025-03-01'))).toBe(21);
    expect(ageOf('2004-02-29', on('2028-02-28'))).toBe(23);
    expect(ageOf('2004-02-29', on('2028-02-29'))).toBe(24);
  });

  it('counts a year and month from the last day of the month: the least the person can be', () => {
    // Born between May 1 and May 31, 1990: on May 15, 2026, someone born on the 31st is still 35.
    expect(ageOf('1990-05', on('2026-05-15'))).toBe(35);
    expect(ageOf('1990-05', on('2026-05-30'))).toBe(35);
    expect(ageOf('1990-05', on('2026-05-31'))).toBe(36);
    expect(ageOf('1990-05', on('2026-06-01'))).toBe(36);
    // February: 28 or 29 days by the year.
    expect(ageOf('2000-02', on('2026-02-28'))).toBe(25);
    expect(ageOf('2000-02', on('2026-03-01'))).toBe(26);
    expect(ageOf('2001-02', on('2026-02-28'))).toBe(25);
  });

  it('counts a year alone from December 31', () => {
    expect(ageOf('1990', on('2026-12-30'))).toBe(35);
    expect(ageOf('1990', on('2026-12-31'))).toBe(36);
    expect(ageOf('1990', on('2026-01-01'))).toBe(35);
  });

  it('is 0 for a partial date that may be today or later but may also be past, null for one that is wholly in the future', () => {
    expect(ageOf('2026-06', on('2026-06-15'))).toBe(0);
    expect(ageOf('2026', on('2026-06-15'))).toBe(0);
    expect(ageOf('2026-07', on('2026-06-15'))).toBeNull();
    expect(ageOf('2027', on('2026-06-15'))).toBeNull();
    expect(ageOf('2026-06-16', on('2026-06-15'))).toBeNull();
  });

  it('reads the day in UTC and ignores a time after the date', () => {
    expect(ageOf('1990-05-17T00:00:00Z', on('2026-05-17'))).toBe(36);
    expect(ageOf('1990-05-17 23:59', on('2026-05-16'))).toBe(35);
    expect(ageOf(' 1990-05-17 ', on('2026-05-17'))).toBe(36);
    expect(ageOf('1990-05-17', new Date('2026-05-16T23:59:59.999Z'))).toBe(35);
    expect(ageOf('1990-05-17', new Date('2026-05-17T00:00:00.000Z'))).toBe(36);
  });

  it('is null for anything it cannot read or that is no date', () => {
    for (const text of [null, undefined, '', '   ', 'unknown', '17/05/1990', '05/17/1990', '1990/05/17', 'May 1990', '19900517', '90', '1990-5-17', '1990-13', '1990-00', '1990-02-30', '1990-04-31', '1990-05-00', '1899-12-31', '0000']) {
      expect(ageOf(text, on('2026-06-15')), String(text)).toBeNull();
    }
    expect(ageOf('1900-01-01', on('2026-06-15'))).toBe(126);
  });
});

describe('source ranking', () => {
  it('is crm, pos, messaging, web by default, the same as the tenant settings', () => {
    expect(DEFAULT_SOURCE_PRIORITY).toEqual(['crm', 'pos', 'messaging', 'web']);
    expect(SETTINGS_DEFAULT).toEqual(DEFAULT_SOURCE_PRIORITY);
    expect(sourceRanking(null)).toEqual(['crm', 'pos', 'messaging', 'web']);
    expect(sourceRanking([])).toEqual(['crm', 'pos', 'messaging', 'web']);
  });

  it("keeps the tenant's order and appends the sources it leaves out in the default order", () => {
    expect(sourceRanking(['web', 'pos', 'crm', 'messaging'])).toEqual(['web', 'pos', 'crm', 'messaging']);
    expect(sourceRanking(['pos'])).toEqual(['pos', 'crm', 'messaging', 'web']);
    expect(sourceRanking(['web', 'messaging'])).toEqual(['web', 'messaging', 'crm', 'pos']);
    // Unknown names and repeats are dropped (the API refuses them; old rows may hold anything).
    expect(sourceRanking(['fax', 'web', 'web', 'CRM'])).toEqual(['web', 'crm', 'pos', 'messaging']);
  });
});

describe('currency divisors of line amounts', () => {
  it('lists the currencies without 100 minor units, as the order amounts convert them', () => {
    expect(CURRENCY_DIVISORS.JPY).toBe(1);
    expect(CURRENCY_DIVISORS.KRW).toBe(1);
    expect(CURRENCY_DIVISORS.KWD).toBe(1000);
    expect(CURRENCY_DIVISORS.BHD).toBe(1000);
    expect(CURRENCY_DIVISORS).not.toHaveProperty('EUR');
    expect(CURRENCY_DIVISORS).not.toHaveProperty('USD');
    for (const [currency, divisor] of Object.entries(CURRENCY_DIVISORS)) expect(divisor, currency).toBe(minorUnitsPerMajor(currency));
  });
});

describe('an uncomputed profile', () => {
  it('has no primary source, age or preferred channel, an unknown opt-in status and empty lists', () => {
    expect(MARKETING_CHANNELS).toEqual(['email', 'sms', 'push', 'whatsapp']);
    expect(NO_AGGREGATE_VALUES).toMatchObject({
      primary_source: null,
      age: null,
      preferred_channel: null,
      opt_in_status: 'unknown',
      consent_scopes: [],
      interests: [],
      recommendation_vector: {},
    });
  });
});
