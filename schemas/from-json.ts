/**
 * Turns the JSON properties of a catalogued event type into the Avro record of that type, with
 * an error per field (path and reason) instead of a failed encode. Fields the record does not
 * describe are handed back to be kept in the envelope's `properties` map (or, inside a record
 * with an `extra` map such as an order line, kept there), never dropped.
 */
import avro from 'avsc';
import { EVENT_CATALOG, resolvedEventSchema } from './catalog.ts';

export interface FieldError {
  path: string;
  message: string;
}

let recordTypes: Map<string, avro.types.RecordType> | null = null;

/** The Avro record type of a catalogued event type's properties. */
export function propertiesType(eventType: string): avro.types.RecordType | undefined {
  if (!recordTypes) {
    const resolved = avro.Type.forSchema(resolvedEventSchema() as avro.Schema) as avro.types.RecordType;
    recordTypes = new Map(
      EVENT_CATALOG.map((e) => {
        const union = resolved.field(e.type)!.type as avro.types.UnwrappedUnionType;
        return [e.type, union.types.find((t) => t.typeName === 'record') as avro.types.RecordType];
      }),
    );
  }
  return recordTypes.get(eventType);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const describeType = (type: avro.Type): string => {
  switch (type.typeName) {
    case 'long':
    case 'int':
      return 'an integer';
    case 'double':
    case 'float':
      return 'a number';
    case 'record':
      return 'an object';
    default:
      return `a ${type.typeName}`;
  }
};

function convert(type: avro.Type, value: unknown, path: string, errors: FieldError[]): unknown {
  switch (type.typeName) {
    case 'null':
      if (value !== null && value !== undefined) errors.push({ path, message: 'must be null' });
      return null;
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (type as avro.types.UnwrappedUnionType).types;
      if (value === null || value === undefined) {
        if (branches.some((b) => b.typeName === 'null')) return null;
        errors.push({ path, message: 'is required' });
        return null;
      }
      const nonNull = branches.filter((b) => b.typeName !== 'null');
      return convert(nonNull[0]!, value, path, errors);
    }
    case 'string':
      if (typeof value === 'string') return value;
      errors.push({ path, message: 'must be a string' });
      return '';
    case 'boolean':
      if (typeof value === 'boolean') return value;
      errors.push({ path, message: 'must be true or false' });
      return false;
    case 'int':
    case 'long':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      errors.push({
        path,
        message: path.endsWith('_minor') ? 'must be an integer amount in minor units (1299 for 12.99)' : 'must be an integer',
      });
      return 0;
    case 'float':
    case 'double':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      errors.push({ path, message: 'must be a number' });
      return 0;
    case 'enum': {
      const symbols = (type as avro.types.EnumType).symbols;
      if (typeof value === 'string' && symbols.includes(value)) return value;
      errors.push({ path, message: `must be one of ${symbols.join(', ')}` });
      return symbols[0];
    }
    case 'array': {
      if (!Array.isArray(value)) {
        errors.push({ path, message: 'must be an array' });
        return [];
      }
      const items = (type as avro.types.ArrayType).itemsType;
      return value.map((v, i) => convert(items, v, `${path}/${i}`, errors));
    }
    case 'map': {
      if (!isObject(value)) {
        errors.push({ path, message: 'must be an object' });
        return {};
      }
      const values = (type as avro.types.MapType).valuesType;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = values.typeName === 'string' && typeof v !== 'string' ? JSON.stringify(v) : convert(values, v, `${path}/${k}`, errors);
      return out;
    }
    case 'record':
      return convertRecord(type as avro.types.RecordType, value, path, errors, null);
    default:
      errors.push({ path, message: `cannot be given as JSON (${describeType(type)})` });
      return null;
  }
}

function convertRecord(
  type: avro.types.RecordType,
  value: unknown,
  path: string,
  errors: FieldError[],
  unknown: Record<string, unknown> | null,
): Record<string, unknown> {
  if (!isObject(value)) {
    errors.push({ path: path || '/', message: 'must be an object' });
    return {};
  }
  const out: Record<string, unknown> = {};
  const names = new Set<string>();
  for (const field of type.fields) {
    names.add(field.name);
    if (field.name === 'extra' && field.type.typeName === 'map') continue;
    const given = value[field.name];
    if (given === undefined) {
      const fallback = field.defaultValue();
      if (fallback === undefined) errors.push({ path: `${path}/${field.name}`, message: 'is required' });
      else out[field.name] = fallback;
      continue;
    }
    out[field.name] = convert(field.type, given, `${path}/${field.name}`, errors);
  }
  const extraField = type.fields.find((f) => f.name === 'extra' && f.type.typeName === 'map');
  const extra: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (names.has(key) && key !== 'extra') continue;
    if (extraField) extra[key] = typeof v === 'string' ? v : JSON.stringify(v);
    else if (unknown) unknown[key] = v;
    else errors.push({ path: `${path}/${key}`, message: `is not a field of ${type.name?.split('.').pop()}` });
  }
  if (extraField) out.extra = extra;
  return out;
}

export type TypedProperties =
  | { ok: true; value: Record<string, unknown>; unknown: Record<string, unknown> }
  | { ok: false; errors: FieldError[] };

/** Checks beyond the Avro types, per event type. */
const semanticChecks: Record<string, (value: Record<string, any>, path: string) => FieldError[]> = {
  order_completed: (v, path) => [
    ...currencyErrors(v.currency, `${path}/currency`),
    ...(v.total_minor < 0 ? [{ path: `${path}/total_minor`, message: 'must not be negative; send a refund as order_refunded' }] : []),
    ...(v.line_items as Record<string, number>[]).flatMap((item, i) =>
      item.quantity! <= 0 ? [{ path: `${path}/line_items/${i}/quantity`, message: 'must be above 0' }] : [],
    ),
  ],
  order_refunded: (v, path) => [
    ...currencyErrors(v.currency, `${path}/currency`),
    ...(v.amount_minor <= 0 ? [{ path: `${path}/amount_minor`, message: 'must be above 0 (the amount given back)' }] : []),
  ],
};

let currencies: Set<string> | null = null;
function currencyErrors(code: unknown, path: string): FieldError[] {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return typeof code === 'string' && currencies.has(code) ? [] : [{ path, message: 'must be an ISO 4217 currency code in capitals, e.g. USD' }];
}

/** The typed properties of a catalogued event type, or the errors (paths under `path`). */
export function typedProperties(eventType: string, properties: unknown, path = '/properties'): TypedProperties {
  const type = propertiesType(eventType);
  if (!type) throw new Error(`${eventType} is not in the event catalog`);
  const errors: FieldError[] = [];
  const unknown: Record<string, unknown> = {};
  const value = convertRecord(type, properties ?? {}, path, errors, unknown);
  if (errors.length === 0) errors.push(...(semanticChecks[eventType]?.(value, path) ?? []));
  return errors.length ? { ok: false, errors } : { ok: true, value, unknown };
}

/** The number of minor units in one major unit of a currency (100 for USD, 1 for JPY). */
export function minorUnitsPerMajor(currency: string): number {
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    return 10 ** digits;
  } catch {
    return 100;
  }
}
