/**
 * Validation of the event envelope sent over HTTP. Each record is checked on its own and gets
 * its own errors, each naming the field path and the reason: the JSON schema below, the
 * catalogued types' records, and the rules of schemas/event-rules.ts for traits and properties
 * (no reserved names, text where the resolver reads text).
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { SOURCES, type RawEvent } from '../schemas/types.ts';
import { catalogEntry } from '../schemas/catalog.ts';
import { typedProperties, type FieldError } from '../schemas/from-json.ts';
import { withOtherScope } from '../schemas/consent-scopes.ts';
import { EVENT_ID_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH, attributesOf, nulPaths } from '../schemas/event-rules.ts';
import { IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES } from '../resolver/index.ts';

export type { FieldError };

export const envelopeSchema = {
  type: 'object',
  required: ['event_id', 'source', 'type', 'occurred_at'],
  properties: {
    event_id: { type: 'string', minLength: 1, maxLength: EVENT_ID_MAX_LENGTH },
    source: { type: 'string', enum: [...SOURCES] },
    type: { type: 'string', minLength: 1, maxLength: EVENT_TYPE_MAX_LENGTH, pattern: '^[A-Za-z0-9_.: -]+$' },
    occurred_at: { type: 'string', format: 'date-time' },
    identity: {
      type: 'object',
      properties: Object.fromEntries(IDENTIFIER_TYPE_NAMES.map((type) => [type, { type: ['string', 'null'], maxLength: IDENTIFIER_TYPES[type].maxLength }])),
    },
    customer360_id: { type: ['string', 'null'], format: 'uuid' },
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

const optional = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);

export type Validated = { ok: true; event: RawEvent } | { ok: false; errors: FieldError[] };

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
  const errors: FieldError[] = [];
  let properties = body.properties;
  let typed: Record<string, unknown> | null = null;
  let given = body.properties ?? {};
  if (body.type === 'consent_changed' && typeof given === 'object' && given !== null && !Array.isArray(given)) {
    // A scope other than a channel travels as other_scope; a name that is no scope's is the one error of the field.
    const scoped = withOtherScope(given);
    if (scoped.errors.length) return { ok: false, errors: scoped.errors };
    given = scoped.properties;
  }
  if (catalogEntry(body.source, body.type)) {
    const result = typedProperties(body.type, given);
    if (result.ok) {
      typed = result.value;
      properties = result.unknown;
    } else {
      errors.push(...result.errors);
    }
  }
  // Reserved names (constructor, toString, ...), and traits read as text that are not text.
  const traits = attributesOf(body.traits, 'traits');
  const props = attributesOf(properties, 'properties');
  errors.push(...traits.errors, ...props.errors);
  if (errors.length) return { ok: false, errors };
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
      customer360_id: typeof body.customer360_id === 'string' ? body.customer360_id.toLowerCase() : null,
      traits: traits.value,
      properties: props.value,
      ...(typed ? { [body.type]: typed } : {}),
    },
  };
}
