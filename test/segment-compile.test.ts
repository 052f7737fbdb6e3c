/**
 * Segment rules compiled to SQL and run in ClickHouse (chDB, or CLICKHOUSE_URL): the exact
 * members of each rule over twelve hand-made profiles, for every operator family, nesting, not,
 * missing values, within_days against a fixed now, and values that try to break out of the SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from './support/engines.ts';
import { CUSTOMER360_FIELDS, type FieldCatalog, type SegmentRule } from '../enrich/segments/rules.ts';
import { compileSegmentRule } from '../enrich/segments/compile.ts';

const NOW = new Date('2026-06-30T12:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace('T', ' ').replace('Z', '');

// The catalog's own entries (column expressions included) for the columns of the test table.
const COLUMNS = [
  'customer360_id', 'city', 'country', 'primary_email', 'total_revenue', 'orders_count', 'churn_risk', 'last_purchase_at',
  'date_of_birth', 'lifecycle_stage', 'loyalty_tier', 'tags', 'traits', 'consent', 'inactive_24m',
];
const catalog: FieldCatalog = Object.fromEntries(COLUMNS.map((c) => [c, CUSTOMER360_FIELDS[c]!]));

type Row = {
  customer360_id: string;
  city: string | null;
  country: string;
  primary_email: string | null;
  total_revenue: number;
  orders_count: number;
  churn_risk: number | null;
  last_purchase_at: string | null;
  date_of_birth: string | null;
  lifecycle_stage: string | null;
  loyalty_tier: string | null;
  tags: string[];
  traits: Record<string, string>;
  consent: Record<string, string>;
  inactive_24m: boolean;
};

// prettier-ignore
const ROWS: Row[] = [
  { customer360_id: 'c01', city: 'Oslo', country: 'NO', primary_email: 'ann@mail.test', total_revenue: 250, orders_count: 5, churn_risk: 0.1, last_purchase_at: ago(5 * DAY), date_of_birth: '1990-05-01', lifecycle_stage: 'CUSTOMER', loyalty_tier: 'GOLD', tags: ['vip'], traits: { plan: 'pro' }, consent: { email: 'granted' }, inactive_24m: false },
  { customer360_id: 'c02', city: 'Bergen', country: 'NO', primary_email: 'bob@example.com', total_revenue: 90, orders_count: 2, churn_risk: 0.4, last_purchase_at: ago(40 * DAY), date_of_birth: null, lifecycle_stage: 'MEMBER', loyalty_tier: 'SILVER', tags: [], traits: { plan: 'free' }, consent: { email: 'revoked', sms: 'granted' }, inactive_24m: false },
  { customer360_id: 'c03', city: null, country: '', primary_email: null, total_revenue: 0, orders_count: 0, churn_risk: null, last_purchase_at: null, date_of_birth: null, lifecycle_stage: 'LEAD', loyalty_tier: null, tags: [], traits: {}, consent: {}, inactive_24m: true },
  { customer360_id: 'c04', city: 'Stockholm', country: 'SE', primary_email: 'cara@Mail.test', total_revenue: 1200, orders_count: 12, churn_risk: 0.05, last_purchase_at: ago(DAY), date_of_birth: '1985-12-24', lifecycle_stage: 'ADVOCATE', loyalty_tier: 'PLATINUM', tags: ['vip', 'early'], traits: { plan: 'pro' }, consent: { email: 'granted', push: 'granted' }, inactive_24m: false },
  { customer360_id: 'c05', city: 'Östersund', country: 'SE', primary_email: 'dan@mail.test', total_revenue: 100, orders_count: 1, churn_risk: 0.5, last_purchase_at: ago(30 * DAY), date_of_birth: null, lifecycle_stage: 'CUSTOMER', loyalty_tier: 'BRONZE', tags: ['VIP'], traits: { plan: '' }, consent: { email: 'granted' }, inactive_24m: false },
  { customer360_id: 'c06', city: '', country: 'DK', primary_email: 'eve@example.com', total_revenue: 99.99, orders_count: 1, churn_risk: 0.9, last_purchase_at: ago(400 * DAY), date_of_birth: '2001-02-03', lifecycle_stage: 'CHURNED', loyalty_tier: 'BRONZE', tags: [], traits: {}, consent: { email: 'revoked' }, inactive_24m: true },
  { customer360_id: 'c07', city: 'New York', country: 'US', primary_email: 'finn@example.com', total_revenue: 500, orders_count: 3, churn_risk: null, last_purchase_at: ago(10 * DAY), date_of_birth: null, lifecycle_stage: null, loyalty_tier: 'GOLD', tags: ['newsletter'], traits: { plan: 'enterprise' }, consent: { sms: 'granted' }, inactive_24m: false },
  { customer360_id: 'c08', city: 'Oslo', country: 'NO', primary_email: 'gro@mail.test', total_revenue: 40, orders_count: 1, churn_risk: 0.7, last_purchase_at: ago(31 * DAY), date_of_birth: null, lifecycle_stage: 'PROSPECT', loyalty_tier: null, tags: ['vip'], traits: {}, consent: { email: 'granted' }, inactive_24m: false },
  { customer360_id: 'c09', city: 'Trondheim', country: 'NO', primary_email: 'hal@example.com', total_revenue: 0, orders_count: 0, churn_risk: 0.2, last_purchase_at: null, date_of_birth: null, lifecycle_stage: 'SUBSCRIBER', loyalty_tier: null, tags: [], traits: {}, consent: { email: 'granted' }, inactive_24m: false },
  { customer360_id: 'c10', city: 'Newcastle', country: 'GB', primary_email: 'ida@example.com', total_revenue: 150, orders_count: 2, churn_risk: 0.3, last_purchase_at: ago(20 * DAY), date_of_birth: null, lifecycle_stage: 'MEMBER', loyalty_tier: 'SILVER', tags: ['early'], traits: { plan: 'pro' }, consent: {}, inactive_24m: false },
  { customer360_id: 'c11', city: 'Bergen', country: 'NO', primary_email: 'jon@example.com', total_revenue: 3000, orders_count: 20, churn_risk: 0.01, last_purchase_at: ago(3_600_000), date_of_birth: null, lifecycle_stage: 'CUSTOMER', loyalty_tier: 'PLATINUM', tags: ['vip'], traits: { plan: 'pro' }, consent: { email: 'granted', whatsapp: 'granted' }, inactive_24m: false },
  { customer360_id: 'c12', city: 'Paris', country: 'FR', primary_email: 'kim@example.com', total_revenue: 75, orders_count: 1, churn_risk: 0.6, last_purchase_at: ago(-DAY), date_of_birth: null, lifecycle_stage: 'LEAD', loyalty_tier: null, tags: [], traits: { plan: 'free' }, consent: { email: 'revoked' }, inactive_24m: false },
];
const ALL = ROWS.map((r) => r.customer360_id);
const except = (...ids: string[]) => ALL.filter((id) => !ids.includes(id));

describe('segment rules in ClickHouse', () => {
  let ch: TestClickHouse;
  let table: string;

  beforeAll(async () => {
    ch = await createTestClickHouse();
    table = `${ch.database}.profiles_for_segments`;
    await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${ch.database}` });
    // Column types as the warehouse has them: Nullable where a value can be missing, '' for a
    // missing LowCardinality string, an Enum for one of the enums.
    await ch.client.command({
      query: `CREATE TABLE ${table} (
        customer360_id String,
        city Nullable(String),
        country LowCardinality(String),
        primary_email Nullable(String),
        total_revenue Float64,
        orders_count UInt32,
        churn_risk Nullable(Float64),
        last_purchase_at Nullable(DateTime64(3, 'UTC')),
        date_of_birth Nullable(Date),
        lifecycle_stage LowCardinality(Nullable(String)),
        loyalty_tier Nullable(Enum8('BRONZE' = 1, 'SILVER' = 2, 'GOLD' = 3, 'PLATINUM' = 4)),
        tags Array(String),
        traits Map(String, String),
        consent Map(String, String),
        inactive_24m Bool
      ) ENGINE = MergeTree ORDER BY customer360_id`,
    });
    await ch.client.insert({ table, format: 'JSONEachRow', values: ROWS });
  });
  afterAll(async () => {
    await ch?.drop();
  });

  async function members(rule: SegmentRule): Promise<string[]> {
    const { where, params } = compileSegmentRule(rule, catalog, { now: NOW });
    const result = await ch.client.query({
      query: `SELECT customer360_id FROM ${table} WHERE ${where} ORDER BY customer360_id`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return (await result.json<{ customer360_id: string }>()).map((r) => r.customer360_id);
  }

  it('holds the twelve profiles', async () => {
    expect(await members({ field: 'orders_count', op: '>=', value: 0 })).toEqual(ALL);
  });

  it('compares numbers, inclusive between, and missing numbers', async () => {
    expect(await members({ field: 'total_revenue', op: '>=', value: 100 })).toEqual(['c01', 'c04', 'c05', 'c07', 'c10', 'c11']);
    expect(await members({ field: 'total_revenue', op: 'between', value: [90, 150] })).toEqual(['c02', 'c05', 'c06', 'c10']);
    expect(await members({ field: 'orders_count', op: '=', value: 1 })).toEqual(['c05', 'c06', 'c08', 'c12']);
    expect(await members({ field: 'churn_risk', op: '<', value: 0.2 })).toEqual(['c01', 'c04', 'c11']);
    expect(await members({ field: 'churn_risk', op: '!=', value: 0.5 })).toEqual(except('c03', 'c05', 'c07'));
    expect(await members({ field: 'churn_risk', op: 'is_null' })).toEqual(['c03', 'c07']);
    expect(await members({ field: 'churn_risk', op: 'is_not_null' })).toEqual(except('c03', 'c07'));
    // not: plain negation, so the profiles without a churn risk are in.
    expect(await members({ not: { field: 'churn_risk', op: '<', value: 0.2 } })).toEqual(except('c01', 'c04', 'c11'));
  });

  it('compares strings: exact =, case-insensitive contains and starts_with, in, not_in, missing ones', async () => {
    expect(await members({ field: 'city', op: '=', value: 'Oslo' })).toEqual(['c01', 'c08']);
    expect(await members({ field: 'city', op: '=', value: 'oslo' })).toEqual([]);
    // != matches no missing city (NULL in c03, '' in c06); not(=) does.
    expect(await members({ field: 'city', op: '!=', value: 'Oslo' })).toEqual(except('c01', 'c08', 'c03', 'c06'));
    expect(await members({ not: { field: 'city', op: '=', value: 'Oslo' } })).toEqual(except('c01', 'c08'));
    expect(await members({ field: 'city', op: 'is_null' })).toEqual(['c03', 'c06']);
    expect(await members({ field: 'city', op: 'is_not_null' })).toEqual(except('c03', 'c06'));
    expect(await members({ field: 'city', op: 'contains', value: 'NEW' })).toEqual(['c07', 'c10']);
    expect(await members({ field: 'city', op: 'starts_with', value: 'ber' })).toEqual(['c02', 'c11']);
    expect(await members({ field: 'city', op: 'starts_with', value: 'öst' })).toEqual(['c05']);
    expect(await members({ field: 'city', op: 'in', value: ['Oslo', 'Bergen'] })).toEqual(['c01', 'c02', 'c08', 'c11']);
    expect(await members({ field: 'city', op: 'not_in', value: ['Oslo', 'Bergen'] })).toEqual(['c04', 'c05', 'c07', 'c09', 'c10', 'c12']);
    expect(await members({ field: 'primary_email', op: 'contains', value: 'MAIL.TEST' })).toEqual(['c01', 'c04', 'c05', 'c08']);
    expect(await members({ field: 'country', op: 'is_null' })).toEqual(['c03']);
    expect(await members({ field: 'customer360_id', op: 'in', value: ['c02', 'c99'] })).toEqual(['c02']);
  });

  it('compares enums stored as strings and as a ClickHouse Enum', async () => {
    expect(await members({ field: 'lifecycle_stage', op: 'in', value: ['CUSTOMER', 'MEMBER'] })).toEqual(['c01', 'c02', 'c05', 'c10', 'c11']);
    expect(await members({ field: 'lifecycle_stage', op: '!=', value: 'CUSTOMER' })).toEqual(['c02', 'c03', 'c04', 'c06', 'c08', 'c09', 'c10', 'c12']);
    expect(await members({ field: 'lifecycle_stage', op: 'not_in', value: ['LEAD', 'CUSTOMER'] })).toEqual(['c02', 'c04', 'c06', 'c08', 'c09', 'c10']);
    expect(await members({ field: 'loyalty_tier', op: '=', value: 'GOLD' })).toEqual(['c01', 'c07']);
    expect(await members({ field: 'loyalty_tier', op: 'in', value: ['PLATINUM', 'SILVER'] })).toEqual(['c02', 'c04', 'c10', 'c11']);
    expect(await members({ field: 'loyalty_tier', op: 'is_null' })).toEqual(['c03', 'c08', 'c09', 'c12']);
  });

  it('compares times: within_days and not_within_days against a fixed now, before, after, missing ones', async () => {
    // 30 days back from now is in (c05 bought exactly then); a purchase stamped in the future too.
    expect(await members({ field: 'last_purchase_at', op: 'within_days', value: 30 })).toEqual(['c01', 'c04', 'c05', 'c07', 'c10', 'c11', 'c12']);
    // Never bought: neither within nor not within.
    expect(await members({ field: 'last_purchase_at', op: 'not_within_days', value: 30 })).toEqual(['c02', 'c06', 'c08']);
    expect(await members({ field: 'last_purchase_at', op: 'within_days', value: 0 })).toEqual(['c12']);
    expect(await members({ field: 'last_purchase_at', op: 'before', value: '2026-06-01' })).toEqual(['c02', 'c05', 'c06', 'c08']);
    expect(await members({ field: 'last_purchase_at', op: 'after', value: '2026-06-29T00:00:00+02:00' })).toEqual(['c04', 'c11', 'c12']);
    expect(await members({ field: 'last_purchase_at', op: 'is_null' })).toEqual(['c03', 'c09']);
    // A Date column against an ISO time.
    expect(await members({ field: 'date_of_birth', op: 'before', value: '1990-05-01' })).toEqual(['c04']);
    expect(await members({ field: 'date_of_birth', op: 'after', value: '1990-01-01T00:00:00Z' })).toEqual(['c01', 'c06']);
    // A later now moves the window: the same rule, other members.
    const later = compileSegmentRule({ field: 'last_purchase_at', op: 'within_days', value: 30 }, catalog, { now: new Date(NOW.getTime() + 25 * DAY) });
    const result = await ch.client.query({
      query: `SELECT customer360_id FROM ${table} WHERE ${later.where} ORDER BY customer360_id`,
      query_params: later.params,
      format: 'JSONEachRow',
    });
    expect((await result.json<{ customer360_id: string }>()).map((r) => r.customer360_id)).toEqual(['c01', 'c04', 'c11', 'c12']);
  });

  it('compares booleans', async () => {
    expect(await members({ field: 'inactive_24m', op: '=', value: true })).toEqual(['c03', 'c06']);
    expect(await members({ field: 'inactive_24m', op: '=', value: false })).toEqual(except('c03', 'c06'));
  });

  it('looks into string arrays: exact contains, contains_any, is_empty', async () => {
    expect(await members({ field: 'tags', op: 'contains', value: 'vip' })).toEqual(['c01', 'c04', 'c08', 'c11']);
    expect(await members({ field: 'tags', op: 'contains_any', value: ['early', 'newsletter'] })).toEqual(['c04', 'c07', 'c10']);
    expect(await members({ field: 'tags', op: 'is_empty' })).toEqual(['c02', 'c03', 'c06', 'c09', 'c12']);
    expect(await members({ not: { field: 'tags', op: 'is_empty' } })).toEqual(['c01', 'c04', 'c05', 'c07', 'c08', 'c10', 'c11']);
  });

  it('looks up map keys: consent per channel and traits, an absent key or empty value being missing', async () => {
    expect(await members({ field: 'consent.email', op: '=', value: 'granted' })).toEqual(['c01', 'c04', 'c05', 'c08', 'c09', 'c11']);
    expect(await members({ field: 'consent.email', op: '!=', value: 'granted' })).toEqual(['c02', 'c06', 'c12']);
    expect(await members({ field: 'consent.email', op: 'is_null' })).toEqual(['c03', 'c07', 'c10']);
    expect(await members({ field: 'consent.sms', op: 'in', value: ['granted'] })).toEqual(['c02', 'c07']);
    expect(await members({ field: 'traits.plan', op: 'in', value: ['pro', 'enterprise'] })).toEqual(['c01', 'c04', 'c07', 'c10', 'c11']);
    expect(await members({ field: 'traits.plan', op: 'is_null' })).toEqual(['c03', 'c05', 'c06', 'c08', 'c09']);
  });

  it('nests all, any and not', async () => {
    const rule = {
      all: [
        { field: 'total_revenue', op: '>=', value: 100 },
        { any: [{ field: 'lifecycle_stage', op: 'in', value: ['CUSTOMER', 'MEMBER'] }, { field: 'tags', op: 'contains', value: 'vip' }] },
        { field: 'last_purchase_at', op: 'within_days', value: 30 },
        { not: { field: 'city', op: '=', value: 'Oslo' } },
        { field: 'consent.email', op: '=', value: 'granted' },
      ],
    } as SegmentRule;
    expect(await members(rule)).toEqual(['c04', 'c05', 'c11']);
    // Not of a group: out if inactive or at risk; a missing churn risk does not put one out.
    expect(
      await members({ not: { any: [{ field: 'inactive_24m', op: '=', value: true }, { field: 'churn_risk', op: '>=', value: 0.5 }] } }),
    ).toEqual(['c01', 'c02', 'c04', 'c07', 'c09', 'c10', 'c11']);
    // Double negation is the condition again, missing values included.
    expect(await members({ not: { not: { field: 'city', op: '!=', value: 'Oslo' } } })).toEqual(await members({ field: 'city', op: '!=', value: 'Oslo' }));
    expect(
      await members({ any: [{ all: [{ field: 'country', op: '=', value: 'NO' }, { field: 'orders_count', op: '>', value: 1 }] }, { field: 'country', op: '=', value: 'US' }] }),
    ).toEqual(['c01', 'c02', 'c07', 'c11']);
  });

  it('keeps hostile values as values: nothing matches, the table is intact', async () => {
    const hostile = [
      "x'); DROP TABLE t; --",
      "Oslo' OR '1'='1",
      'Oslo\\',
      "Oslo\\' OR 1=1 --",
      '}{p0:String} OR 1=1',
      "Oslo\t' OR 1=1\n--",
    ];
    for (const value of hostile) {
      expect(await members({ field: 'city', op: '=', value })).toEqual([]);
      expect(await members({ field: 'city', op: 'in', value: [value, "') OR 1=1 --"] })).toEqual([]);
      expect(await members({ field: 'tags', op: 'contains_any', value: [value] })).toEqual([]);
      expect(await members({ field: `traits.${value}`, op: '=', value: 'pro' })).toEqual([]);
      // != of a hostile string: every profile with a city, as for any other string.
      expect(await members({ field: 'city', op: '!=', value })).toEqual(except('c03', 'c06'));
    }
    expect(await members({ field: "traits.plan'] = 'pro' OR 1=1 --", op: 'is_null' })).toEqual(ALL);
    expect(await members({ field: 'orders_count', op: '>=', value: 0 })).toEqual(ALL);
  });
});
