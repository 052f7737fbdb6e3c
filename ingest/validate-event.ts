/**
 * Validation of the event envelope sent over HTTP. Each record is checked on its own and gets
 * its own errors, each naming the field path and the reason.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { SOURCES, type Attributes, type RawEvent } from '../schemas/types.ts';
import { catalogEntry } from '../schemas/catalog.ts';
import { typedProperties, type FieldError } from '../schemas/from-json.ts';

export type { FieldError };

const identifierField = { type: ['string', 'null'], maxLength: 320 };

export const envelopeSchema = {
  type: 'object',
  required: ['event_id', 'source', 'type', 'occurred_at'],
  properties: {
    event_id: { type: 'string', minLength: 1, maxLength: 128 },
    source: { type: 'string', enum: [...SOURCES] },
    type: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.: -]+$' },
    occurred_at: { type: 'string', format: 'date-time' },
    identity: {
      type: 'object',
      properties: {
        auth_user_id: identifierField,
        email: identifierField,
        phone: { type: ['string', 'null'], maxLength: 40 },
        anonymous_id: identifierField,
        source_record_id: identifierField,
      },
    },
    traits: { type: 'object' },
    properties: { type: 'object' },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validate = ajv.compile(envelopeSchema);

function describe(error: ErrorObject): FieldError {
  const base = error.instancePath || '/';
  if (error.keyword === 'required') {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return { path: `${error.instancePath}/${field}`, message: 'is required' };
  }
  if (error.keyword === 'enum') {
    return { path: base, message: `must be one of ${(error.params as { allowedValues: string[] }).allowedValues.join(', ')}` };
  }
  return { path: base, message: error.message ?? 'is invalid' };
}

/** Flat attribute values for Avro: nested objects and arrays are kept as JSON text. */
function attributes(input: unknown): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries((input as Record<string, unknown>) ?? {})) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') out[name] = value;
    else if (typeof value === 'number') out[name] = Number.isFinite(value) ? value : null;
    else if (value !== undefined) out[name] = JSON.stringify(value);
  }
  return out;
}

const optional = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);

export type Validated = { ok: true; event: RawEvent } | { ok: false; errors: FieldError[] };

/** Paths of strings holding a NUL character, which Postgres text cannot store. */
function nulPaths(value: unknown, path: string, out: FieldError[], depth = 0): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ path: path || '/', message: 'contains a NUL character' });
  } else if (value && typeof value === 'object' && depth < 32) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) out.push({ path: `${path}/${k.replaceAll('\u0000', '\\0')}`, message: 'field name contains a NUL character' });
      nulPaths(v, `${path}/${k}`, out, depth + 1);
    }
  }
  return out;
}

/**
 * The RawEvent of an envelope, or its errors. `mayHoldNul` false skips the search for NUL
 * characters when the raw JSON body was seen to hold no \u0000 escape.
 */
export function validateEnvelope(input: unknown, tenantId: string, receivedAt: number, mayHoldNul = true): Validated {
  if (!validate(input)) return { ok: false, errors: (validate.errors ?? []).map(describe) };
  const nul = mayHoldNul ? nulPaths(input, '', []) : [];
  if (nul.length) return { ok: false, errors: nul };
  const body = input as Record<string, any>;
  const occurredAt = Date.parse(body.occurred_at);
  if (!Number.isFinite(occurredAt)) return { ok: false, errors: [{ path: '/occurred_at', message: 'is not a valid time' }] };
  const identity = body.identity ?? {};
  // A catalogued type's properties become its Avro record; fields the record does not describe stay in properties.
  let properties = body.properties;
  let typed: Record<string, unknown> | null = null;
  if (catalogEntry(body.source, body.type)) {
    const result = typedProperties(body.type, body.properties ?? {});
    if (!result.ok) return { ok: false, errors: result.errors };
    typed = result.value;
    properties = result.unknown;
  }
  return {
    ok: true,
    event: {
      event_id: body.event_id,
      tenant_id: tenantId,
      source: body.source,
      type: body.type,
      occurred_at: occurredAt,
      received_at: receivedAt,
      identity: {
        auth_user_id: optional(identity.auth_user_id),
        email: optional(identity.email),
        phone: optional(identity.phone),
        anonymous_id: optional(identity.anonymous_id),
        source_record_id: optional(identity.source_record_id),
      },
      traits: attributes(body.traits),
      properties: attributes(properties),
      ...(typed ? { [body.type]: typed } : {}),
    },
  };
}
