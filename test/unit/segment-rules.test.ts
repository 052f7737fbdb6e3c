import { describe, expect, it } from 'vitest';
import {
  CUSTOMER360_FIELDS,
  OPERATORS,
  RULE_LIMITS,
  fieldsUsed,
  formatRuleErrors,
  parseRuleTime,
  parseSegmentRule,
  type FieldCatalog,
  type RuleError,
  type SegmentRule,
} from '../../enrich/segments/rules.ts';
import { SegmentRuleError, compileSegmentRule } from '../../enrich/segments/compile.ts';

const EXAMPLE = {
  all: [
    { field: 'total_revenue', op: '>=', value: 100 },
    {
      any: [
        { field: 'lifecycle_stage', op: 'in', value: ['CUSTOMER', 'MEMBER'] },
        { field: 'tags', op: 'contains', value: 'vip' },
      ],
    },
    { field: 'last_purchase_at', op: 'within_days', value: 30 },
    { not: { field: 'city', op: '=', value: 'Oslo' } },
    { field: 'consent.email', op: '=', value: 'granted' },
  ],
};
const NOW = new Date('2026-06-30T12:00:00Z');

const parse = (input: unknown, catalog: FieldCatalog = CUSTOMER360_FIELDS) => parseSegmentRule(input, catalog);
/** The errors of a rule that must be refused. */
function errorsOf(input: unknown): RuleError[] {
  const result = parse(input);
  if (!('errors' in result)) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return result.errors;
}
/** The one error of a condition on its own (paths from the condition). */
const errorOf = (input: unknown) => {
  const errors = errorsOf(input);
  expect(errors).toHaveLength(1);
  return errors[0]!;
};
const accepted = (input: unknown) => {
  const result = parse(input);
  if ('errors' in result) throw new Error(formatRuleErrors(result.errors));
  return result.rule;
};

describe('parsing segment rules', () => {
  it('accepts the example rule and gives it back as it was', () => {
    expect(accepted(EXAMPLE)).toEqual(EXAMPLE);
    expect(accepted(JSON.parse(JSON.stringify(EXAMPLE)))).toEqual(EXAMPLE);
  });

  it('accepts every operator of every type with a value of the right kind', () => {
    const ok: unknown[] = [
      ...['=', '!=', '<', '<=', '>', '>='].map((op) => ({ field: 'churn_risk', op, value: 0.5 })),
      { field: 'orders_count', op: 'between', value: [1, 1] },
      { field: 'ltv', op: 'is_null' },
      { field: 'ltv', op: 'is_not_null', value: null },
      ...['=', '!=', 'starts_with', 'contains'].map((op) => ({ field: 'city', op, value: 'Os' })),
      ...['in', 'not_in'].map((op) => ({ field: 'country', op, value: ['NO', 'SE'] })),
      { field: 'gender', op: 'is_null' },
      { field: 'region', op: 'is_not_null' },
      ...['=', '!='].map((op) => ({ field: 'loyalty_tier', op, value: 'GOLD' })),
      ...['in', 'not_in'].map((op) => ({ field: 'last_channel', op, value: ['web', 'pos'] })),
      { field: 'lifecycle_stage', op: 'is_null' },
      { field: 'created_at', op: 'before', value: '2026-01-31' },
      { field: 'created_at', op: 'after', value: '2026-01-31T12:30:00.123Z' },
      { field: 'created_at', op: 'after', value: '2026-01-31T12:30:00+01:00' },
      { field: 'last_seen_at', op: 'within_days', value: 0 },
      { field: 'last_seen_at', op: 'not_within_days', value: 365 },
      { field: 'date_of_birth', op: 'is_not_null' },
      { field: 'inactive_24m', op: '=', value: false },
      { field: 'tags', op: 'contains', value: 'vip' },
      { field: 'segments', op: 'contains_any', value: ['a', 'b'] },
      { field: 'emails', op: 'is_empty' },
      { field: 'consent.sms', op: '!=', value: 'revoked' },
      { field: 'consent.whatsapp', op: 'in', value: ['granted', 'revoked'] },
      { field: 'consent.push', op: 'is_null' },
      { field: 'traits.plan', op: '=', value: 'pro' },
      { field: 'traits.favourite.colour', op: 'in', value: ['red'] },
    ];
    for (const rule of ok) expect(accepted(rule)).toEqual(Object.fromEntries(Object.entries(rule as object).filter(([, v]) => v !== null)));
  });

  it('covers every operator of every type in the catalog', () => {
    expect(OPERATORS.number).toEqual(['=', '!=', '<', '<=', '>', '>=', 'between', 'is_null', 'is_not_null']);
    expect(OPERATORS.string_array).toEqual(['contains', 'contains_any', 'is_empty']);
    expect(OPERATORS.map).toEqual(['=', '!=', 'in', 'is_null']);
    const types = new Set(Object.values(CUSTOMER360_FIELDS).map((f) => f.type));
    expect([...types].sort()).toEqual(['bool', 'datetime', 'enum', 'map', 'number', 'string', 'string_array']);
  });

  it('names a mistake deep in the rule by its path', () => {
    const rule = { all: [{ field: 'total_revenue', op: '>=', value: 100 }, { any: [{ field: 'city', op: 'in', value: 'Oslo' }] }] };
    expect(errorsOf(rule)).toEqual([{ path: '/all/1/any/0/value', message: 'must be an array of strings' }]);
    expect(errorsOf({ not: { not: { field: 'city', op: '=', value: 3 } } })).toEqual([
      { path: '/not/not/value', message: 'must be a non-empty string (is_null matches a missing value)' },
    ]);
  });

  it('reports every mistake of a rule at once', () => {
    const rule = {
      all: [
        { field: 'total_revenu', op: '>=', value: 100 },
        { field: 'city', op: 'between', value: [1, 2] },
        { field: 'orders_count', op: '>', value: '3' },
        { any: [] },
      ],
    };
    expect(errorsOf(rule)).toEqual([
      { path: '/all/0/field', message: 'unknown field "total_revenu"; did you mean "total_revenue"?' },
      { path: '/all/1/op', message: 'operator "between" does not apply to string field "city"; allowed: =, !=, in, not_in, starts_with, contains, is_null, is_not_null' },
      { path: '/all/2/value', message: 'must be a finite number' },
      { path: '/all/3/any', message: 'must be a non-empty array of rules' },
    ]);
    expect(formatRuleErrors(errorsOf({ all: [{ field: 'ttv', op: '=' }, 5] })).split('\n')).toEqual([
      '/all/0/field: unknown field "ttv"; did you mean "ltv"?',
      '/all/1: must be an object: a group (all, any, not) or a condition (field, op, value), not a number',
    ]);
  });

  describe('shape errors', () => {
    it('refuses what is not an object', () => {
      for (const input of [null, 'all', 42, true, [], [{ field: 'city', op: 'is_null' }]]) {
        expect(errorOf(input).path).toBe('/');
        expect(errorOf(input).message).toMatch(/^must be an object: a group \(all, any, not\) or a condition \(field, op, value\), not (null|a string|a number|a boolean|an array)$/);
      }
      expect(errorsOf({ all: [{ field: 'city', op: 'is_null' }, 'city = Oslo'] })).toEqual([
        { path: '/all/1', message: 'must be an object: a group (all, any, not) or a condition (field, op, value), not a string' },
      ]);
      expect(errorOf({ not: null })).toEqual({ path: '/not', message: 'must be an object: a group (all, any, not) or a condition (field, op, value), not null' });
    });

    it('refuses an empty object, unknown keys, and a node that is two things', () => {
      expect(errorOf({})).toEqual({ path: '/', message: 'must be a group (all, any, not) or a condition (field, op, value)' });
      expect(errorOf({ field: 'city', op: 'is_null', negate: true })).toEqual({
        path: '/negate',
        message: 'is not a rule key; a rule has all, any or not, or field, op and value',
      });
      expect(errorOf({ all: [{ field: 'city', op: 'is_null' }], 'a/b~c': 1 }).path).toBe('/a~1b~0c');
      expect(errorOf({ all: [{ field: 'city', op: 'is_null' }], field: 'city' })).toEqual({
        path: '/',
        message: 'must be one thing: a group (all, any or not) or a condition (field, op, value); it has all, field',
      });
      expect(errorOf({ all: [{ field: 'city', op: 'is_null' }], not: { field: 'city', op: 'is_null' } }).message).toMatch(/it has all, not$/);
      expect(errorOf(JSON.parse('{"__proto__": {"field": "city", "op": "is_null"}}'))).toEqual({
        path: '/__proto__',
        message: 'is not a rule key; a rule has all, any or not, or field, op and value',
      });
    });

    it('needs all and any to be non-empty arrays', () => {
      for (const value of [[], {}, 'x', null]) {
        expect(errorOf({ all: value })).toEqual({ path: '/all', message: 'must be a non-empty array of rules' });
        expect(errorOf({ any: value })).toEqual({ path: '/any', message: 'must be a non-empty array of rules' });
      }
    });
  });

  describe('limits', () => {
    const nest = (levels: number): unknown => {
      let rule: unknown = { field: 'city', op: 'is_null' };
      for (let i = 0; i < levels; i++) rule = i % 3 === 0 ? { not: rule } : i % 3 === 1 ? { all: [rule] } : { any: [rule] };
      return rule;
    };

    it(`nests groups at most ${RULE_LIMITS.maxDepth} deep`, () => {
      expect(accepted(nest(RULE_LIMITS.maxDepth))).toBeTruthy();
      const error = errorOf(nest(RULE_LIMITS.maxDepth + 1));
      expect(error.message).toBe('nests groups deeper than 10 levels');
      // The innermost group: ten levels down.
      expect(error.path.split('/').filter((s) => s === 'all' || s === 'any' || s === 'not')).toHaveLength(10);
      // Deep hostile input stops at the limit instead of exhausting the stack.
      expect(errorOf(nest(100_000)).message).toBe('nests groups deeper than 10 levels');
    });

    it(`takes at most ${RULE_LIMITS.maxConditions} conditions`, () => {
      const conditions = (n: number) => Array.from({ length: n }, (_, i) => ({ field: 'orders_count', op: '>', value: i }));
      expect(accepted({ all: conditions(200) })).toBeTruthy();
      expect(accepted({ all: [{ any: conditions(100) }, { not: { all: conditions(100) } }] })).toBeTruthy();
      expect(errorsOf({ all: conditions(201) })[0]).toEqual({ path: '/', message: 'has more than 200 conditions' });
      expect(errorsOf({ all: [{ any: conditions(150) }, { all: conditions(51) }] })[0]).toEqual({ path: '/', message: 'has more than 200 conditions' });
      // A huge rule is refused quickly.
      const started = Date.now();
      expect(errorsOf({ all: conditions(100_000) })[0]!.message).toBe('has more than 200 conditions');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it(`reports at most ${RULE_LIMITS.maxErrors} errors`, () => {
      expect(errorsOf({ all: Array.from({ length: 150 }, () => ({ field: 'nope', op: '=', value: 1 })) })).toHaveLength(100);
    });

    it('limits list values and strings', () => {
      const many = Array.from({ length: 1001 }, (_, i) => `v${i}`);
      expect(errorOf({ field: 'city', op: 'in', value: many })).toEqual({ path: '/value', message: 'must have at most 1000 items' });
      expect(errorOf({ field: 'city', op: '=', value: 'x'.repeat(1001) })).toEqual({ path: '/value', message: 'must be at most 1000 characters' });
      expect(accepted({ field: 'city', op: '=', value: 'x'.repeat(1000) })).toBeTruthy();
    });
  });

  describe('fields', () => {
    it('needs a field, named by a string', () => {
      expect(errorOf({ op: '=', value: 1 })).toEqual({ path: '/field', message: 'is required' });
      expect(errorOf({ field: 3, op: '=', value: 1 })).toEqual({ path: '/field', message: 'must be a string, not a number' });
    });

    it('refuses a field that is not in the catalog, with a suggestion or the list', () => {
      expect(errorOf({ field: 'revenue', op: '>', value: 1 })).toEqual({
        path: '/field',
        message: 'unknown field "revenue"; did you mean one of total_revenue, revenue_30d?',
      });
      expect(errorOf({ field: 'lifecyclestage', op: '=', value: 'LEAD' }).message).toBe('unknown field "lifecyclestage"; did you mean "lifecycle_stage"?');
      const listed = errorOf({ field: 'zzz', op: '=', value: 1 }).message;
      expect(listed).toMatch(/^unknown field "zzz"; known fields: customer360_id, created_at, /);
      expect(listed).toContain('traits.<key>, consent.<key>');
      expect(listed).toContain('inactive_24m');
    });

    it('refuses names that only exist on Object.prototype and SQL posing as a field', () => {
      for (const field of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'city) OR 1=1 --', 'city; DROP TABLE customer360', '`city`', 'CITY']) {
        expect(errorOf({ field, op: '=', value: 'x' }).message).toMatch(new RegExp(`^unknown field ${JSON.stringify(field).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
    });

    it('needs a key for a map, one of the allowed keys when the map has a closed set', () => {
      expect(errorOf({ field: 'consent', op: '=', value: 'granted' })).toEqual({
        path: '/field',
        message: 'field "consent" is a map: name one of its keys, as in "consent.email"',
      });
      expect(errorOf({ field: 'traits', op: 'is_null' }).message).toBe('field "traits" is a map: name one of its keys, as in "traits.key"');
      expect(errorOf({ field: 'consent.', op: 'is_null' }).message).toBe('names no key of the map "consent", as in "consent.email"');
      expect(errorOf({ field: 'consent.emial', op: '=', value: 'granted' })).toEqual({
        path: '/field',
        message: 'unknown key "emial" of "consent"; allowed: consent.email, consent.sms, consent.push, consent.whatsapp',
      });
      expect(errorOf({ field: 'city.name', op: '=', value: 'x' }).message).toBe('field "city" is a string, not a map: it has no key "name"');
      expect(errorOf({ field: `traits.${'k'.repeat(1001)}`, op: 'is_null' }).message).toBe('map key is longer than 1000 characters');
    });
  });

  describe('operators', () => {
    it('needs an operator, a string', () => {
      expect(errorOf({ field: 'city', value: 'x' })).toEqual({ path: '/op', message: 'is required' });
      expect(errorOf({ field: 'city', op: ['='], value: 'x' })).toEqual({ path: '/op', message: 'must be a string, not an array' });
    });

    it('refuses an operator the field type does not have, listing the allowed ones', () => {
      const cases: [string, string, string][] = [
        ['total_revenue', 'contains', 'operator "contains" does not apply to number field "total_revenue"; allowed: =, !=, <, <=, >, >=, between, is_null, is_not_null'],
        ['city', '>', 'operator ">" does not apply to string field "city"; allowed: =, !=, in, not_in, starts_with, contains, is_null, is_not_null'],
        ['loyalty_tier', 'contains', 'operator "contains" does not apply to enum field "loyalty_tier"; allowed: =, !=, in, not_in, is_null, is_not_null'],
        ['created_at', '>', 'operator ">" does not apply to datetime field "created_at"; allowed: before, after, within_days, not_within_days, is_null, is_not_null'],
        ['inactive_24m', '!=', 'operator "!=" does not apply to bool field "inactive_24m"; allowed: ='],
        ['tags', '=', 'operator "=" does not apply to string_array field "tags"; allowed: contains, contains_any, is_empty'],
        ['consent.email', 'not_in', 'operator "not_in" does not apply to map field "consent.email"; allowed: =, !=, in, is_null'],
        ['city', 'LIKE', 'operator "LIKE" does not apply to string field "city"; allowed: =, !=, in, not_in, starts_with, contains, is_null, is_not_null'],
      ];
      for (const [field, op, message] of cases) expect(errorOf({ field, op, value: 'x' })).toEqual({ path: '/op', message });
    });

    it('reports a bad field and a missing operator together', () => {
      expect(errorsOf({ all: [{ field: 'nope' }] }).map((e) => e.path)).toEqual(['/all/0/field', '/all/0/op']);
    });
  });

  describe('values', () => {
    const valueError = (rule: object) => {
      const e = errorOf(rule);
      expect(e.path.startsWith('/value')).toBe(true);
      return e;
    };

    it('needs a value, or none for the operators that take none', () => {
      expect(valueError({ field: 'city', op: '=' })).toEqual({ path: '/value', message: 'is required: = takes a non-empty string' });
      expect(valueError({ field: 'ltv', op: 'between' }).message).toBe('is required: between takes a [low, high] pair of numbers');
      expect(valueError({ field: 'created_at', op: 'within_days' }).message).toBe('is required: within_days takes a whole number of days');
      expect(valueError({ field: 'loyalty_tier', op: 'in' }).message).toBe('is required: in takes an array of values, each one of BRONZE, SILVER, GOLD, PLATINUM');
      expect(valueError({ field: 'city', op: 'is_null', value: 'x' })).toEqual({ path: '/value', message: 'must be left out: is_null takes no value' });
      expect(valueError({ field: 'tags', op: 'is_empty', value: [] }).message).toBe('must be left out: is_empty takes no value');
    });

    it('checks numbers', () => {
      for (const value of ['100', null, true, [1], Infinity, NaN]) {
        expect(valueError({ field: 'total_revenue', op: '>=', value })).toEqual({ path: '/value', message: 'must be a finite number' });
      }
      expect(valueError({ field: 'total_revenue', op: '>=', value: 1e300 }).message).toBe('must be between -9007199254740991 and 9007199254740991');
      expect(valueError({ field: 'total_revenue', op: 'between', value: 5 })).toEqual({ path: '/value', message: 'must be [low, high]: two numbers' });
      expect(valueError({ field: 'total_revenue', op: 'between', value: [1, 2, 3] }).message).toBe('must be [low, high]: two numbers');
      expect(valueError({ field: 'total_revenue', op: 'between', value: [1, 'x'] })).toEqual({ path: '/value/1', message: 'must be a finite number' });
      expect(valueError({ field: 'total_revenue', op: 'between', value: [10, 1] })).toEqual({ path: '/value', message: 'must be [low, high] with low <= high, not [10, 1]' });
    });

    it('checks strings: non-empty, arrays of strings for in and not_in', () => {
      expect(valueError({ field: 'city', op: '=', value: '' })).toEqual({ path: '/value', message: 'must be a non-empty string (is_null matches a missing value)' });
      expect(valueError({ field: 'city', op: 'contains', value: 5 }).message).toBe('must be a non-empty string (is_null matches a missing value)');
      expect(valueError({ field: 'city', op: 'not_in', value: 'Oslo' })).toEqual({ path: '/value', message: 'must be an array of strings' });
      expect(valueError({ field: 'city', op: 'in', value: [] })).toEqual({ path: '/value', message: 'must be an array of strings, not empty' });
      expect(valueError({ field: 'city', op: 'in', value: ['Oslo', 7] })).toEqual({ path: '/value/1', message: 'must be a non-empty string' });
    });

    it('checks enum values against the field values, with a suggestion', () => {
      expect(valueError({ field: 'lifecycle_stage', op: '=', value: 'CUSTOMERS' })).toEqual({
        path: '/value',
        message: 'must be one of SUBSCRIBER, LEAD, PROSPECT, CUSTOMER, MEMBER, ADVOCATE, CHURNED (did you mean "CUSTOMER"?)',
      });
      expect(valueError({ field: 'loyalty_tier', op: 'in', value: ['GOLD', 'gold'] })).toEqual({
        path: '/value/1',
        message: 'must be one of BRONZE, SILVER, GOLD, PLATINUM (did you mean "GOLD"?)',
      });
      expect(valueError({ field: 'last_channel', op: 'not_in', value: 'web' })).toEqual({ path: '/value', message: 'must be an array of values from email, sms, push, whatsapp, messaging, web, pos, crm' });
      expect(valueError({ field: 'consent.email', op: '=', value: 'yes' })).toEqual({ path: '/value', message: 'must be one of granted, revoked' });
      expect(valueError({ field: 'consent.email', op: 'in', value: ['granted', 'opted_in'] }).path).toBe('/value/1');
    });

    it('checks times: ISO 8601 dates and zoned times, real calendar days, whole days for within_days', () => {
      const iso = 'must be an ISO 8601 date (2026-01-31, midnight UTC) or time with a zone (2026-01-31T12:00:00Z, 2026-01-31T13:00:00+01:00), between 1900 and 2299';
      for (const value of ['2026-02-30', '2026-13-01', 'yesterday', '2026-01-31T12:00:00', '31/01/2026', '2026-01-31T25:00:00Z', '1850-01-01', 1767225600000, '']) {
        expect(valueError({ field: 'last_purchase_at', op: 'before', value })).toEqual({ path: '/value', message: iso });
      }
      for (const value of [1.5, -1, '30', 36_501, null]) {
        expect(valueError({ field: 'last_purchase_at', op: 'within_days', value })).toEqual({ path: '/value', message: 'must be a whole number of days from 0 to 36500' });
      }
      expect(accepted({ field: 'last_purchase_at', op: 'not_within_days', value: 36_500 })).toBeTruthy();
    });

    it('checks booleans and arrays', () => {
      for (const value of ['true', 1, null]) expect(valueError({ field: 'inactive_24m', op: '=', value })).toEqual({ path: '/value', message: 'must be true or false' });
      expect(valueError({ field: 'tags', op: 'contains', value: ['vip'] })).toEqual({ path: '/value', message: 'must be a non-empty string' });
      expect(valueError({ field: 'tags', op: 'contains_any', value: [] })).toEqual({ path: '/value', message: 'must be an array of strings, not empty' });
      expect(valueError({ field: 'tags', op: 'contains_any', value: ['vip', ''] })).toEqual({ path: '/value/1', message: 'must be a non-empty string' });
    });
  });

  it('reads ISO times as UTC instants', () => {
    expect(parseRuleTime('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(parseRuleTime('2026-01-31T13:00:00+01:00')).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseRuleTime('2026-01-31T12:00Z')).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseRuleTime('2026-01-31 12:00:00.5-0230')).toBe(Date.UTC(2026, 0, 31, 14, 30, 0, 500));
    expect(parseRuleTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRuleTime('2025-02-29')).toBeNull();
    expect(parseRuleTime('2300-01-01')).toBeNull();
  });
});

describe('fields a rule uses', () => {
  it('lists each field once, map lookups with their key, sorted', () => {
    expect(fieldsUsed(EXAMPLE as SegmentRule)).toEqual(['city', 'consent.email', 'last_purchase_at', 'lifecycle_stage', 'tags', 'total_revenue']);
    expect(
      fieldsUsed({ any: [{ field: 'city', op: 'is_null' }, { not: { field: 'city', op: '=', value: 'x' } }, { field: 'traits.plan', op: 'is_null' }] }),
    ).toEqual(['city', 'traits.plan']);
  });
});

describe('compiling segment rules', () => {
  it('compiles the example to a WHERE expression with every value a parameter', () => {
    const { where, params } = compileSegmentRule(EXAMPLE as SegmentRule, CUSTOMER360_FIELDS, { now: NOW });
    expect(where).toBe(
      '(ifNull(total_revenue >= {p0:Float64}, 0)' +
        " AND (ifNull(nullIf(toString(lifecycle_stage), '') IN {p1:Array(String)}, 0) OR has(tags, {p2:String}))" +
        " AND ifNull(last_purchase_at >= subtractDays({p3:DateTime64(3, 'UTC')}, {p4:UInt32}), 0)" +
        " AND NOT (ifNull(nullIf(city, '') = {p5:String}, 0))" +
        " AND ifNull(nullIf(consent[{p6:String}], '') = {p7:String}, 0))",
    );
    expect(params).toEqual({
      p0: 100,
      p1: ['CUSTOMER', 'MEMBER'],
      p2: 'vip',
      p3: '2026-06-30 12:00:00.000',
      p4: 30,
      p5: 'Oslo',
      p6: 'email',
      p7: 'granted',
    });
  });

  it('compiles each operator family', () => {
    const one = (rule: SegmentRule) => compileSegmentRule(rule, CUSTOMER360_FIELDS, { now: NOW });
    expect(one({ field: 'ltv', op: 'between', value: [1, 2] })).toEqual({ where: 'ifNull(ltv BETWEEN {p0:Float64} AND {p1:Float64}, 0)', params: { p0: 1, p1: 2 } });
    expect(one({ field: 'ltv', op: 'is_null' })).toEqual({ where: 'isNull(ltv)', params: {} });
    expect(one({ field: 'city', op: 'is_not_null' })).toEqual({ where: "isNotNull(nullIf(city, ''))", params: {} });
    expect(one({ field: 'city', op: 'not_in', value: ['a'] }).where).toBe("ifNull(nullIf(city, '') NOT IN {p0:Array(String)}, 0)");
    expect(one({ field: 'city', op: 'contains', value: 'os' }).where).toBe("ifNull(positionCaseInsensitiveUTF8(nullIf(city, ''), {p0:String}) > 0, 0)");
    expect(one({ field: 'city', op: 'starts_with', value: 'os' }).where).toBe("ifNull(startsWith(lowerUTF8(nullIf(city, '')), lowerUTF8({p0:String})), 0)");
    expect(one({ field: 'customer360_id', op: '=', value: 'x' }).where).toBe("ifNull(nullIf((toString(customer360_id)), '') = {p0:String}, 0)");
    expect(one({ field: 'loyalty_tier', op: '!=', value: 'GOLD' }).where).toBe("ifNull(nullIf(toString(loyalty_tier), '') != {p0:String}, 0)");
    expect(one({ field: 'created_at', op: 'before', value: '2026-01-31T13:00:00+01:00' })).toEqual({
      where: "ifNull(created_at < {p0:DateTime64(3, 'UTC')}, 0)",
      params: { p0: '2026-01-31 12:00:00.000' },
    });
    expect(one({ field: 'created_at', op: 'after', value: '2026-01-31' }).params).toEqual({ p0: '2026-01-31 00:00:00.000' });
    expect(one({ field: 'inactive_24m', op: '=', value: true })).toEqual({ where: 'ifNull(inactive_24m = {p0:Bool}, 0)', params: { p0: true } });
    expect(one({ field: 'tags', op: 'contains_any', value: ['a', 'b'] })).toEqual({ where: 'hasAny(tags, {p0:Array(String)})', params: { p0: ['a', 'b'] } });
    expect(one({ field: 'tags', op: 'is_empty' }).where).toBe('empty(tags)');
    expect(one({ field: 'traits.plan', op: 'is_null' })).toEqual({ where: "isNull(nullIf(traits[{p0:String}], ''))", params: { p0: 'plan' } });
    expect(one({ not: { any: [{ field: 'ltv', op: 'is_null' }, { field: 'tags', op: 'is_empty' }] } }).where).toBe('NOT (isNull(ltv) OR empty(tags))');
  });

  it('shares one now parameter among the within_days conditions and defaults now to the clock', () => {
    const rule: SegmentRule = { all: [{ field: 'last_seen_at', op: 'within_days', value: 7 }, { field: 'last_purchase_at', op: 'not_within_days', value: 90 }] };
    const { where, params } = compileSegmentRule(rule, CUSTOMER360_FIELDS, { now: NOW });
    expect(where).toBe(
      "(ifNull(last_seen_at >= subtractDays({p0:DateTime64(3, 'UTC')}, {p1:UInt32}), 0) AND ifNull(last_purchase_at < subtractDays({p0:DateTime64(3, 'UTC')}, {p2:UInt32}), 0))",
    );
    expect(params).toEqual({ p0: '2026-06-30 12:00:00.000', p1: 7, p2: 90 });
    const before = Date.now();
    const fresh = compileSegmentRule(rule, CUSTOMER360_FIELDS);
    expect(Date.parse(`${String(fresh.params.p0).replace(' ', 'T')}Z`)).toBeGreaterThanOrEqual(before - 1);
  });

  it('names parameters with a prefix of choice', () => {
    const { where, params } = compileSegmentRule({ field: 'city', op: '=', value: 'Oslo' }, CUSTOMER360_FIELDS, { paramPrefix: 'seg_' });
    expect(where).toBe("ifNull(nullIf(city, '') = {seg_0:String}, 0)");
    expect(params).toEqual({ seg_0: 'Oslo' });
    expect(() => compileSegmentRule({ field: 'city', op: 'is_null' }, CUSTOMER360_FIELDS, { paramPrefix: 'p}' })).toThrow(/paramPrefix/);
  });

  it('keeps hostile values out of the SQL text', () => {
    const hostile = ["x'); DROP TABLE t; --", "Oslo' OR '1'='1", 'a\\', '{evil:String}', "'; SELECT * FROM system.users --", '\u0000\n\t'];
    for (const value of hostile) {
      const rules: SegmentRule[] = [
        { field: 'city', op: '=', value },
        { field: 'city', op: 'in', value: [value] },
        { field: 'city', op: 'contains', value },
        { field: 'tags', op: 'contains_any', value: [value] },
        { field: 'traits.plan', op: '!=', value },
        { field: `traits.${value}`, op: 'is_null' },
      ];
      for (const rule of rules) {
        const { where, params } = compileSegmentRule(rule, CUSTOMER360_FIELDS, { now: NOW });
        expect(where).not.toContain(value);
        expect(where).not.toMatch(/DROP|SELECT|system|OR '1'/);
        // The only quoted literal in the SQL is the empty string of nullIf and the time zone.
        expect(where.replaceAll("''", '').replaceAll("'UTC'", '')).not.toContain("'");
        expect(Object.values(params).flat()).toContain(value);
      }
    }
  });

  it('refuses to compile a rule built in code that the catalog does not allow', () => {
    const bad = [
      { field: 'city) OR 1=1 --', op: '=', value: 'x' },
      { field: 'city', op: 'LIKE', value: '%' },
      { field: 'total_revenue', op: '>=', value: '1 OR 1=1' },
      { all: [{ field: 'consent.email', op: '=', value: 'maybe' }] },
    ] as unknown as SegmentRule[];
    for (const rule of bad) {
      expect(() => compileSegmentRule(rule, CUSTOMER360_FIELDS)).toThrow(SegmentRuleError);
    }
    try {
      compileSegmentRule({ all: [{ field: 'nope', op: '=', value: 1 }] } as unknown as SegmentRule, CUSTOMER360_FIELDS);
    } catch (error) {
      expect((error as SegmentRuleError).errors[0]!.path).toBe('/all/0/field');
      expect((error as Error).message).toMatch(/^invalid segment rule:\n\/all\/0\/field: unknown field "nope"/);
    }
    // A field of another catalog is not one of this catalog's.
    const small: FieldCatalog = { city: CUSTOMER360_FIELDS.city! };
    expect(() => compileSegmentRule({ field: 'total_revenue', op: '>', value: 1 }, small)).toThrow(/unknown field "total_revenue"/);
  });
});
