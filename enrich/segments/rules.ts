/**
 * Segment definitions as data: a small JSON rule language over the fields of a catalog (profile
 * fields and aggregates of the customer360 view), checked here and compiled to ClickHouse SQL by
 * compile.ts. See docs/segments.md.
 *
 *   {"all": [ {"field": "total_revenue", "op": ">=", "value": 100},
 *             {"any": [ {"field": "lifecycle_stage", "op": "in", "value": ["CUSTOMER", "MEMBER"]},
 *                       {"field": "tags", "op": "contains", "value": "vip"} ]},
 *             {"not": {"field": "city", "op": "=", "value": "Oslo"}},
 *             {"field": "consent.email", "op": "=", "value": "granted"} ]}
 *
 * A rule is a group ({all: [...]}, {any: [...]}, {not: rule}) or a condition ({field, op, value}).
 * parseSegmentRule checks everything a rule can get wrong and names each mistake by its
 * JSON-pointer path ("/all/1/any/0/value").
 */
import { distance } from 'fastest-levenshtein';
import { SOURCES } from '../../schemas/types.ts';

export type FieldType = 'number' | 'string' | 'enum' | 'datetime' | 'bool' | 'string_array' | 'map';

export interface FieldSpec {
  type: FieldType;
  /**
   * SQL expression of the field in the segment's table or view ("total_revenue",
   * "toString(customer360_id)"). Trusted: it comes from code, never from a rule. A map field's
   * expression is the map itself ("consent"); a rule names a key ("consent.email").
   */
  column: string;
  /** Allowed values: an enum's, or a map's values (consent: granted, revoked). */
  values?: readonly string[];
  /** Allowed keys of a map, when they are a closed set (consent scopes). */
  keys?: readonly string[];
  description: string;
}

export type FieldCatalog = Record<string, FieldSpec>;

/** Operators per field type. */
export const OPERATORS = {
  number: ['=', '!=', '<', '<=', '>', '>=', 'between', 'is_null', 'is_not_null'],
  string: ['=', '!=', 'in', 'not_in', 'starts_with', 'contains', 'is_null', 'is_not_null'],
  enum: ['=', '!=', 'in', 'not_in', 'is_null', 'is_not_null'],
  datetime: ['before', 'after', 'within_days', 'not_within_days', 'is_null', 'is_not_null'],
  bool: ['='],
  string_array: ['contains', 'contains_any', 'is_empty'],
  map: ['=', '!=', 'in', 'is_null'],
} as const satisfies Record<FieldType, readonly string[]>;

export type Operator = (typeof OPERATORS)[FieldType][number];

/** Operators that take no value. */
export const VALUELESS_OPERATORS: readonly string[] = ['is_null', 'is_not_null', 'is_empty'];

export type RuleValue = number | string | boolean | string[] | [number, number];

export interface Condition {
  /** A catalog field, or "<map field>.<key>" ("consent.email", "traits.plan"). */
  field: string;
  op: Operator;
  /** Absent for is_null, is_not_null and is_empty. */
  value?: RuleValue;
}

export type SegmentRule = { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule } | Condition;

export interface RuleError {
  /** JSON pointer of the mistake in the rule ("/" for the rule itself). */
  path: string;
  message: string;
}

export type ParseResult = { rule: SegmentRule } | { errors: RuleError[] };

/** Limits on a rule. */
export const RULE_LIMITS = {
  /** Groups (all, any, not) nested in one another. */
  maxDepth: 10,
  /** Conditions in a whole rule. */
  maxConditions: 200,
  /** Items in a list value (in, not_in, contains_any). */
  maxListItems: 1000,
  /** Characters in a string value or a map key. */
  maxStringLength: 1000,
  /** within_days and not_within_days. */
  maxDays: 36_500,
  /** Errors reported for one rule; the rest are left off. */
  maxErrors: 100,
} as const;

/** Range of times a rule may name: what ClickHouse DateTime64 holds. */
const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

const GROUP_KEYS = ['all', 'any', 'not'] as const;
const CONDITION_KEYS = ['field', 'op', 'value'] as const;

/** A field reference resolved against a catalog. */
export interface ResolvedField {
  name: string;
  spec: FieldSpec;
  /** The key of a map lookup ("email" of "consent.email"). */
  key?: string;
}

const has = (catalog: FieldCatalog, name: string): boolean => Object.hasOwn(catalog, name);

/** JSON-pointer escaping of one path segment. */
const segment = (key: string | number) => String(key).replaceAll('~', '~0').replaceAll('/', '~1');
const join = (path: string, key: string | number) => `${path === '/' ? '' : path}/${segment(key)}`;

const quote = (s: string) => JSON.stringify(s);

function suggestion(name: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const allowed = name.length <= 4 ? 1 : Math.max(2, Math.floor(name.length / 4));
  return best !== null && bestDistance <= allowed ? best : null;
}

/** "did you mean …?" for a name: the nearest by spelling, else the names that contain it. */
function didYouMean(name: string, candidates: string[]): string | null {
  const near = suggestion(name, candidates);
  if (near) return `did you mean ${quote(near)}?`;
  const lower = name.toLowerCase();
  const containing = lower.length >= 3 ? candidates.filter((c) => c.toLowerCase().includes(lower)) : [];
  if (containing.length === 1) return `did you mean ${quote(containing[0]!)}?`;
  if (containing.length > 1 && containing.length <= 5) return `did you mean one of ${containing.join(', ')}?`;
  return null;
}

/** The catalog field a rule names, or why it names none. */
export function resolveField(name: string, catalog: FieldCatalog): { field: ResolvedField } | { error: string } {
  if (has(catalog, name)) {
    const spec = catalog[name]!;
    if (spec.type === 'map') return { error: `field ${quote(name)} is a map: name one of its keys, as in ${quote(`${name}.${spec.keys?.[0] ?? 'key'}`)}` };
    return { field: { name, spec } };
  }
  const dot = name.indexOf('.');
  if (dot > 0 && has(catalog, name.slice(0, dot))) {
    const base = name.slice(0, dot);
    const spec = catalog[base]!;
    const key = name.slice(dot + 1);
    if (spec.type !== 'map') return { error: `field ${quote(base)} is a ${spec.type}, not a map: it has no key ${quote(key)}` };
    if (key === '') return { error: `names no key of the map ${quote(base)}, as in ${quote(`${base}.${spec.keys?.[0] ?? 'key'}`)}` };
    if (key.length > RULE_LIMITS.maxStringLength) return { error: `map key is longer than ${RULE_LIMITS.maxStringLength} characters` };
    if (spec.keys && !spec.keys.includes(key)) {
      return { error: `unknown key ${quote(key)} of ${quote(base)}; allowed: ${spec.keys.map((k) => `${base}.${k}`).join(', ')}` };
    }
    return { field: { name, spec, key } };
  }
  const names = Object.keys(catalog);
  const hint = didYouMean(name, names);
  return {
    error: hint
      ? `unknown field ${quote(name)}; ${hint}`
      : `unknown field ${quote(name)}; known fields: ${names.map((n) => (catalog[n]!.type === 'map' ? `${n}.<key>` : n)).join(', ')}`,
  };
}

/** A time a rule may name: an ISO 8601 date (midnight UTC) or date and time with a zone. */
export function parseRuleTime(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}))?$/i.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const time = date.getTime() - offsetMinutes * 60_000;
  return time >= MIN_TIME && time <= MAX_TIME ? time : null;
}

class TooManyConditions extends Error {}

interface Walk {
  catalog: FieldCatalog;
  errors: RuleError[];
  conditions: number;
}

function fail(walk: Walk, path: string, message: string): null {
  if (walk.errors.length < RULE_LIMITS.maxErrors) walk.errors.push({ path, message });
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describeType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/**
 * Checks a rule (parsed JSON) against a catalog: its shape, the limits, each field, operator and
 * value. Returns the rule, rebuilt from the keys it may have, or every mistake with its path.
 */
export function parseSegmentRule(input: unknown, catalog: FieldCatalog): ParseResult {
  const walk: Walk = { catalog, errors: [], conditions: 0 };
  let rule: SegmentRule | null = null;
  try {
    rule = node(walk, input, '/', 0);
  } catch (error) {
    if (!(error instanceof TooManyConditions)) throw error;
    walk.errors.unshift({ path: '/', message: `has more than ${RULE_LIMITS.maxConditions} conditions` });
  }
  if (walk.errors.length || !rule) {
    return { errors: walk.errors.length ? walk.errors : [{ path: '/', message: 'is not a rule' }] };
  }
  return { rule };
}

function node(walk: Walk, input: unknown, path: string, depth: number): SegmentRule | null {
  if (!isObject(input)) {
    return fail(walk, path, `must be an object: a group (all, any, not) or a condition (field, op, value), not ${describeType(input)}`);
  }
  const keys = Object.keys(input);
  const groups = GROUP_KEYS.filter((k) => Object.hasOwn(input, k));
  const conditionKeys = CONDITION_KEYS.filter((k) => Object.hasOwn(input, k));
  let ok = true;
  for (const key of keys) {
    if (!(GROUP_KEYS as readonly string[]).includes(key) && !(CONDITION_KEYS as readonly string[]).includes(key)) {
      fail(walk, join(path, key), 'is not a rule key; a rule has all, any or not, or field, op and value');
      ok = false;
    }
  }
  if (groups.length + (conditionKeys.length ? 1 : 0) > 1) {
    return fail(walk, path, `must be one thing: a group (all, any or not) or a condition (field, op, value); it has ${[...groups, ...conditionKeys].join(', ')}`);
  }
  if (groups.length === 0 && conditionKeys.length === 0) {
    // Its unknown keys say enough.
    return ok ? fail(walk, path, 'must be a group (all, any, not) or a condition (field, op, value)') : null;
  }
  if (!ok) return null;
  const group = groups[0];
  if (group === undefined) return condition(walk, input, path);
  if (depth + 1 > RULE_LIMITS.maxDepth) return fail(walk, path, `nests groups deeper than ${RULE_LIMITS.maxDepth} levels`);
  const inner = join(path, group);
  if (group === 'not') {
    const child = node(walk, input.not, inner, depth + 1);
    return child && { not: child };
  }
  const list = input[group];
  if (!Array.isArray(list) || list.length === 0) return fail(walk, inner, 'must be a non-empty array of rules');
  const children = list.map((child, i) => node(walk, child, join(inner, i), depth + 1));
  if (children.some((c) => c === null)) return null;
  return group === 'all' ? { all: children as SegmentRule[] } : { any: children as SegmentRule[] };
}

function condition(walk: Walk, input: Record<string, unknown>, path: string): Condition | null {
  walk.conditions += 1;
  if (walk.conditions > RULE_LIMITS.maxConditions) throw new TooManyConditions();
  const { field, op, value } = input;
  let resolved: ResolvedField | null = null;
  if (field === undefined) fail(walk, join(path, 'field'), 'is required');
  else if (typeof field !== 'string') fail(walk, join(path, 'field'), `must be a string, not ${describeType(field)}`);
  else {
    const r = resolveField(field, walk.catalog);
    if ('error' in r) fail(walk, join(path, 'field'), r.error);
    else resolved = r.field;
  }
  if (op === undefined) return fail(walk, join(path, 'op'), 'is required');
  if (typeof op !== 'string') return fail(walk, join(path, 'op'), `must be a string, not ${describeType(op)}`);
  if (!resolved) return null;
  const type = resolved.spec.type;
  const allowed: readonly string[] = OPERATORS[type];
  if (!allowed.includes(op)) {
    return fail(walk, join(path, 'op'), `operator ${quote(op)} does not apply to ${type} field ${quote(resolved.name)}; allowed: ${allowed.join(', ')}`);
  }
  const valuePath = join(path, 'value');
  if (VALUELESS_OPERATORS.includes(op)) {
    if (value !== undefined && value !== null) return fail(walk, valuePath, `must be left out: ${op} takes no value`);
    return { field: resolved.name, op: op as Operator };
  }
  if (value === undefined) return fail(walk, valuePath, `is required: ${op} takes ${expectation(resolved.spec, op)}`);
  const checked = checkValue(walk, resolved.spec, op, value, valuePath);
  return checked === null ? null : { field: resolved.name, op: op as Operator, value: checked };
}

/** What a value of the operator must be, in words. */
function expectation(spec: FieldSpec, op: string): string {
  const list = spec.values ? `one of ${spec.values.join(', ')}` : 'a non-empty string';
  switch (spec.type) {
    case 'number':
      return op === 'between' ? 'a [low, high] pair of numbers' : 'a number';
    case 'datetime':
      return op === 'within_days' || op === 'not_within_days' ? 'a whole number of days' : 'an ISO 8601 time';
    case 'bool':
      return 'true or false';
    default:
      return op === 'in' || op === 'not_in' || op === 'contains_any' ? `an array of values, each ${list}` : list;
  }
}

function checkString(walk: Walk, spec: FieldSpec, value: unknown, path: string, inList = false): string | null {
  if (typeof value !== 'string' || value === '') {
    const hint = inList ? '' : ' (is_null matches a missing value)';
    return fail(walk, path, spec.values ? `must be one of ${spec.values.join(', ')}` : `must be a non-empty string${spec.type === 'string' || spec.type === 'map' ? hint : ''}`);
  }
  if (value.length > RULE_LIMITS.maxStringLength) return fail(walk, path, `must be at most ${RULE_LIMITS.maxStringLength} characters`);
  if (spec.values && !spec.values.includes(value)) {
    const near = suggestion(value, [...spec.values]);
    return fail(walk, path, `must be one of ${spec.values.join(', ')}${near ? ` (did you mean ${quote(near)}?)` : ''}`);
  }
  return value;
}

function checkStringList(walk: Walk, spec: FieldSpec, value: unknown, path: string): string[] | null {
  const what = spec.values ? `an array of values from ${spec.values.join(', ')}` : 'an array of strings';
  if (!Array.isArray(value)) return fail(walk, path, `must be ${what}`);
  if (value.length === 0) return fail(walk, path, `must be ${what}, not empty`);
  if (value.length > RULE_LIMITS.maxListItems) return fail(walk, path, `must have at most ${RULE_LIMITS.maxListItems} items`);
  const items = value.map((item, i) => checkString(walk, spec, item, join(path, i), true));
  return items.some((i) => i === null) ? null : [...new Set(items as string[])];
}

function checkNumber(walk: Walk, value: unknown, path: string): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fail(walk, path, 'must be a finite number');
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) return fail(walk, path, `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  return value;
}

function checkValue(walk: Walk, spec: FieldSpec, op: string, value: unknown, path: string): RuleValue | null {
  switch (spec.type) {
    case 'number': {
      if (op !== 'between') return checkNumber(walk, value, path);
      if (!Array.isArray(value) || value.length !== 2) return fail(walk, path, 'must be [low, high]: two numbers');
      const low = checkNumber(walk, value[0], join(path, 0));
      const high = checkNumber(walk, value[1], join(path, 1));
      if (low === null || high === null) return null;
      if (low > high) return fail(walk, path, `must be [low, high] with low <= high, not [${low}, ${high}]`);
      return [low, high];
    }
    case 'datetime': {
      if (op === 'within_days' || op === 'not_within_days') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > RULE_LIMITS.maxDays) {
          return fail(walk, path, `must be a whole number of days from 0 to ${RULE_LIMITS.maxDays}`);
        }
        return value;
      }
      if (typeof value !== 'string' || parseRuleTime(value) === null) {
        return fail(walk, path, 'must be an ISO 8601 date (2026-01-31, midnight UTC) or time with a zone (2026-01-31T12:00:00Z, 2026-01-31T13:00:00+01:00), between 1900 and 2299');
      }
      return value;
    }
    case 'bool':
      return typeof value === 'boolean' ? value : fail(walk, path, 'must be true or false');
    case 'string':
    case 'enum':
    case 'map':
    case 'string_array':
      return op === 'in' || op === 'not_in' || op === 'contains_any' ? checkStringList(walk, spec, value, path) : checkString(walk, spec, value, path);
  }
}

/** The fields a rule reads, as it names them ("consent.email" for a map lookup), sorted. */
export function fieldsUsed(rule: SegmentRule): string[] {
  const out = new Set<string>();
  const visit = (r: SegmentRule, depth: number) => {
    if (depth > RULE_LIMITS.maxDepth + 1) return;
    if ('all' in r) r.all.forEach((c) => visit(c, depth + 1));
    else if ('any' in r) r.any.forEach((c) => visit(c, depth + 1));
    else if ('not' in r) visit(r.not, depth + 1);
    else out.add(r.field);
  };
  visit(rule, 0);
  return [...out].sort();
}

/** Errors as lines, "path: message". */
export const formatRuleErrors = (errors: RuleError[]) => errors.map((e) => `${e.path}: ${e.message}`).join('\n');

const CHANNELS = ['email', 'sms', 'push', 'whatsapp'] as const;

const num = (column: string, description: string): FieldSpec => ({ type: 'number', column, description });
const str = (column: string, description: string): FieldSpec => ({ type: 'string', column, description });
const time = (column: string, description: string): FieldSpec => ({ type: 'datetime', column, description });
const list = (column: string, description: string): FieldSpec => ({ type: 'string_array', column, description });

/** The fields of the ClickHouse view customer360 that segments may use. */
export const CUSTOMER360_FIELDS: FieldCatalog = {
  customer360_id: str('toString(customer360_id)', 'ID of the unified profile'),
  created_at: time('created_at', 'when the profile was created'),
  first_name: str('first_name', 'first name'),
  last_name: str('last_name', 'last name'),
  city: str('city', 'city of the postal address'),
  country: str('country', 'country (ISO 3166-1 alpha-2)'),
  region: str('region', 'region or state'),
  postal_code: str('postal_code', 'postal code'),
  language: str('language', 'preferred language or locale'),
  gender: str('gender', 'gender, as the sources give it'),
  primary_email: str('primary_email', 'primary email (normalized)'),
  primary_phone: str('primary_phone', 'primary phone (E.164)'),
  emails: list('emails', 'every known email'),
  phones: list('phones', 'every known phone'),
  tags: list('tags', 'CRM tags'),
  segments: list('segments', 'segments the profile belongs to'),
  traits: { type: 'map', column: 'traits', description: 'all survived attributes, by name ("traits.plan")' },
  consent: {
    type: 'map',
    column: 'consent',
    values: ['granted', 'revoked'],
    keys: CHANNELS,
    description: 'current marketing consent per channel ("consent.email"): granted or revoked; missing when never given',
  },
  orders_count: num('orders_count', 'completed orders'),
  total_revenue: num('total_revenue', 'revenue of completed orders, major units'),
  average_order_value: num('average_order_value', 'total_revenue / orders_count, 0 without orders'),
  refunds_count: num('refunds_count', 'refunds'),
  refunds_amount: num('refunds_amount', 'refunded amount, major units'),
  events_count: num('events_count', 'events of any type'),
  sessions_count: num('sessions_count', 'web and app sessions'),
  interactions_count: num('interactions_count', 'events the person made happen'),
  email_opens: num('email_opens', 'emails opened'),
  email_clicks: num('email_clicks', 'email links clicked'),
  pushes_sent: num('pushes_sent', 'push messages sent'),
  support_tickets: num('support_tickets', 'support tickets opened'),
  events_30d: num('events_30d', 'events in the last 30 days'),
  orders_30d: num('orders_30d', 'orders in the last 30 days'),
  revenue_30d: num('revenue_30d', 'revenue in the last 30 days'),
  ltv: num('ltv', 'lifetime value'),
  predicted_ltv_12m: num('predicted_ltv_12m', 'predicted value over the next 12 months'),
  churn_risk: num('churn_risk', 'churn risk, 0 to 1'),
  p_alive: num('p_alive', 'probability the customer is still active, 0 to 1'),
  engagement_score: num('engagement_score', 'engagement score'),
  propensity_to_buy: num('propensity_to_buy', 'propensity to buy, 0 to 1'),
  loyalty_points: num('loyalty_points', 'loyalty points balance'),
  first_seen_at: time('first_seen_at', 'first event'),
  last_seen_at: time('last_seen_at', 'latest event'),
  first_purchase_at: time('first_purchase_at', 'first completed order'),
  last_purchase_at: time('last_purchase_at', 'latest completed order'),
  last_support_at: time('last_support_at', 'latest support interaction'),
  date_of_birth: time('date_of_birth', 'date of birth'),
  last_channel: { type: 'enum', column: 'last_channel', values: ['email', 'sms', 'push', 'whatsapp', 'messaging', 'web', 'pos', 'crm'], description: 'channel of the latest event: the message channel for messaging events, else the source' },
  lifecycle_stage: {
    type: 'enum',
    column: 'lifecycle_stage',
    values: ['SUBSCRIBER', 'LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER', 'ADVOCATE', 'CHURNED'],
    description: 'lifecycle stage from behaviour (orders, activity), computed by enrichment',
  },
  crm_lifecycle_stage: {
    type: 'enum',
    column: 'crm_lifecycle_stage',
    values: ['SUBSCRIBER', 'LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER', 'ADVOCATE', 'CHURNED'],
    description: 'lifecycle stage the CRM states',
  },
  crm_status: str('crm_status', 'CRM status of the contact (e.g. open, qualified)'),
  age: num('age', 'whole years from the date of birth, the least the person can be when it is partial; missing without one'),
  primary_source: { type: 'enum', column: 'primary_source', values: SOURCES, description: "the most trusted source the profile has events from, by the tenant's source priority" },
  preferred_channel: { type: 'enum', column: 'preferred_channel', values: CHANNELS, description: 'the granted channel the person engaged with most in the last 12 months; missing when none is granted' },
  opt_in_status: { type: 'enum', column: 'opt_in_status', values: ['opted_in', 'opted_out', 'unknown'], description: 'opted_in: a channel granted now; opted_out: consent recorded, none granted; unknown: none ever recorded' },
  consent_scopes: list('consent_scopes', 'scopes granted now: channels and the scopes the tenant configures'),
  interests: list('interests', 'categories of purchases, page views and CRM tags, lower-cased'),
  loyalty_tier: { type: 'enum', column: 'loyalty_tier', values: ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'], description: 'loyalty tier, from spend' },
  inactive_24m: { type: 'bool', column: 'inactive_24m', description: 'no activity for more than 24 months' },
};
