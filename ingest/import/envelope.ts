/** A person record of the export turned into one `crm` event envelope; timestamps of CRM exports. */
import { createHash } from 'node:crypto';
import type { FieldError } from '../../schemas/from-json.ts';
import { RESERVED_ATTRIBUTE_NAMES } from '../../schemas/event-rules.ts';
import { IDENTIFIER_FIELDS, type PersonRecord } from '../columns.ts';
import type { Envelope } from './types.ts';

const TIMESTAMP =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO-8601 time from the timestamps CRM exports write: 2026-01-31T09:30:00Z, with an offset,
 * "2026-01-31 09:30[:00]" (UTC when no zone is written), 2026-01-31, 2026/01/31, or epoch
 * seconds (10 digits) or milliseconds (13 digits). Null for anything else, including dates
 * written day-first or month-first, which cannot be told apart.
 */
export function parseTimestamp(text: string): string | null {
  const value = text.trim();
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  if (/^\d{13}$/.test(value)) return new Date(Number(value)).toISOString();
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  let offsetMinutes = 0;
  if (/^[+-]/.test(zone)) {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 18 || minutes > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return new Date(utc - offsetMinutes * 60_000).toISOString();
}

const sortedObject = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface EnvelopeContext {
  /** 1-based number of the row among the data rows. */
  row: number;
  type: string;
  /** occurred_at of rows without a time column: when the import started. */
  defaultOccurredAt: string;
}

const NO_IDENTIFIER = 'the row has no identifier: no record ID, auth user ID, email or phone';
const BAD_TIME =
  'is not a time the importer can read; write ISO-8601 (2026-01-31T09:30:00Z, 2026-01-31 09:30, 2026-01-31) or epoch seconds or milliseconds';

/**
 * The event envelope of one person record. The event_id is a digest of the record (keyed by
 * its record ID, or by its row number when it has none), so the same row sent again is the same
 * event; the default time (the import's start) is left out of the digest for the same reason.
 */
export function envelopeOf(person: PersonRecord, context: EnvelopeContext): { envelope: Envelope } | { errors: FieldError[] } {
  const { fields, extra } = person;
  const errors: FieldError[] = [];
  const identity: Envelope['identity'] = {};
  for (const field of IDENTIFIER_FIELDS) if (fields[field] !== undefined) identity[field] = fields[field];
  if (Object.keys(identity).length === 0) errors.push({ path: '/identity', message: NO_IDENTIFIER });
  let occurredAt: string | null = null;
  if (fields.occurred_at !== undefined) {
    occurredAt = parseTimestamp(fields.occurred_at);
    if (occurredAt === null) errors.push({ path: '/occurred_at', message: BAD_TIME });
  }
  // A column kept as a trait under a reserved name (constructor, prototype) would be refused by the server.
  for (const name of Object.keys(extra)) {
    if (RESERVED_ATTRIBUTE_NAMES.has(name)) errors.push({ path: `/traits/${name}`, message: 'is a reserved name; map the column to another trait (--map "column=traits.other")' });
  }
  if (errors.length) return { errors };

  const traits: Record<string, string> = Object.create(null);
  for (const name of ['first_name', 'last_name', 'full_name', 'date_of_birth', 'gender', 'language', 'street', 'city', 'region', 'postal_code', 'country', 'company', 'job_title'] as const) {
    if (fields[name] !== undefined) traits[name] = fields[name];
  }
  for (const [name, value] of Object.entries(extra)) if (!Object.hasOwn(traits, name)) traits[name] = value;
  const properties: Envelope['properties'] = {};
  if (fields.lifecycle_stage !== undefined) properties.lifecycle_stage = fields.lifecycle_stage.toUpperCase();
  if (fields.status !== undefined) properties.status = fields.status;
  if (fields.tags !== undefined) properties.tags = fields.tags;

  const key = identity.source_record_id !== undefined ? `id:${identity.source_record_id}` : `row:${context.row}`;
  const digest = createHash('sha256')
    .update(JSON.stringify([key, 'crm', context.type, occurredAt, sortedObject(identity), sortedObject(traits), sortedObject(properties as Record<string, unknown>)]))
    .digest('hex')
    .slice(0, 40);
  return {
    envelope: {
      event_id: `import-${digest}`,
      source: 'crm',
      type: context.type,
      occurred_at: occurredAt ?? context.defaultOccurredAt,
      identity,
      traits,
      properties,
    },
  };
}
