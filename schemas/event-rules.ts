/**
 * What an event must hold beyond the types of raw-event.avsc, checked by ingest before it
 * accepts an envelope (ingest/validate-event.ts) and again by the resolver when it reads a raw
 * event (resolver/parse-raw-event.ts), since a producer may write to the raw topics directly.
 *
 * - Traits and properties are maps keyed by the sender's names. A name of Object.prototype's
 *   members (`__proto__`, `constructor`, `toString`, `hasOwnProperty`, ...) or `prototype` is
 *   refused: JavaScript code reading such a map finds the built-in instead of the value.
 * - The traits the resolver reads as text (names, date of birth, address, postcode, city,
 *   national ID) and those the warehouse and segments read as text (gender, locale, language,
 *   country) must be strings of at most MAX_TEXT_TRAIT_LENGTH characters, or null. A number is
 *   taken as its decimal text only where a code is expected (postal code, house number,
 *   national ID: 94105 -> "94105"); elsewhere a number, a boolean or a nested value is refused.
 * - Other values are kept as the schema allows: a nested value becomes JSON text, a number
 *   that is not finite becomes null.
 * - No string anywhere may hold a NUL character: Postgres text cannot store one.
 */
import type { Attributes } from './types.ts';
import type { FieldError } from './from-json.ts';

export type { FieldError };

/** Names refused in traits and properties: Object.prototype's members, and `prototype`. */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Traits whose number is taken as its decimal text: codes people and exports write as numbers. */
export const CODE_TRAITS: ReadonlySet<string> = new Set([
  'postal_code', 'postcode', 'zip', 'street_number', 'house_number', 'national_id', 'ssn', 'soc_sec_id', 'tax_id',
]);

/** Traits read as text: by the resolver (resolver/fuzzy/of-event.ts) and by the warehouse and segments. */
export const TEXT_TRAITS: ReadonlySet<string> = new Set([
  ...CODE_TRAITS,
  'first_name', 'given_name', 'firstname', 'last_name', 'surname', 'family_name', 'lastname', 'full_name', 'name',
  'date_of_birth', 'dob', 'birthday', 'birth_date',
  'street', 'address', 'address_1', 'street_address', 'address_2', 'locality', 'city', 'suburb', 'town', 'region', 'state', 'province',
  'country', 'gender', 'locale', 'language',
]);

export const MAX_TEXT_TRAIT_LENGTH = 512;
export const EVENT_ID_MAX_LENGTH = 128;
export const EVENT_TYPE_MAX_LENGTH = 100;
export const TENANT_ID_MAX_LENGTH = 64;
/** Longest identifier of the identity (auth user ID, email, anonymous ID, source record ID). */
export const IDENTIFIER_MAX_LENGTH = 320;
export const PHONE_MAX_LENGTH = 40;

/** A name as a JSON Pointer segment (RFC 6901: ~ and / escaped). */
const pointer = (name: string) => name.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The traits or properties map of an event as the schema holds it, in an object without a
 * prototype, or the errors of its fields (paths like /traits/first_name).
 */
export function attributesOf(input: unknown, kind: 'traits' | 'properties'): { value: Attributes; errors: FieldError[] } {
  const value: Attributes = Object.create(null);
  const errors: FieldError[] = [];
  if (input === null || input === undefined) return { value, errors };
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    const path = `/${kind}/${pointer(name)}`;
    if (RESERVED_ATTRIBUTE_NAMES.has(name)) {
      errors.push({ path, message: 'is a reserved name (a member of JavaScript objects); send the field under another name' });
      continue;
    }
    if (raw === undefined) continue;
    if (kind === 'traits' && TEXT_TRAITS.has(name)) {
      const text = typeof raw === 'number' && CODE_TRAITS.has(name) && Number.isFinite(raw) ? String(raw) : raw;
      if (text === null) value[name] = null;
      else if (typeof text !== 'string') errors.push({ path, message: CODE_TRAITS.has(name) ? 'must be a string or a number' : 'must be a string' });
      else if (text.length > MAX_TEXT_TRAIT_LENGTH) errors.push({ path, message: `must be at most ${MAX_TEXT_TRAIT_LENGTH} characters` });
      else value[name] = text;
      continue;
    }
    if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') value[name] = raw;
    else if (typeof raw === 'number') value[name] = Number.isFinite(raw) ? raw : null;
    else value[name] = JSON.stringify(raw) ?? null;
  }
  return { value, errors };
}

/** Paths of strings (and names) holding a NUL character, which Postgres text cannot store. */
export function nulPaths(value: unknown, path = '', out: FieldError[] = [], depth = 0): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ path: path || '/', message: 'contains a NUL character' });
  } else if (value && typeof value === 'object' && !Buffer.isBuffer(value) && depth < 32) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) out.push({ path: `${path}/${pointer(k).replaceAll('\u0000', '\\0')}`, message: 'field name contains a NUL character' });
      nulPaths(v, `${path}/${pointer(k)}`, out, depth + 1);
    }
  }
  return out;
}
