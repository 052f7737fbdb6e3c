/**
 * Column detection for person records exported by source systems (CRM contacts, loyalty
 * members, customer lists): which column holds the record ID, the email, the phone, the name...
 * Column names are compared without case, accents, spaces or punctuation, so "E-mail Address",
 * "email_address" and "EmailAddress" are the same column. A column that is not recognised is
 * kept as a trait under its snake_case name, never dropped.
 */

/** The canonical fields of a person record, and where each goes in an event envelope. */
export const FIELD_TARGETS = {
  source_record_id: 'identity',
  auth_user_id: 'identity',
  email: 'identity',
  phone: 'identity',
  first_name: 'traits',
  last_name: 'traits',
  full_name: 'traits',
  date_of_birth: 'traits',
  gender: 'traits',
  street: 'traits',
  city: 'traits',
  region: 'traits',
  postal_code: 'traits',
  country: 'traits',
  language: 'traits',
  company: 'traits',
  job_title: 'traits',
  lifecycle_stage: 'properties',
  status: 'properties',
  tags: 'properties',
  occurred_at: 'envelope',
} as const;

export type CanonicalField = keyof typeof FIELD_TARGETS;
export const CANONICAL_FIELDS = Object.keys(FIELD_TARGETS) as CanonicalField[];
export const IDENTIFIER_FIELDS = ['source_record_id', 'auth_user_id', 'email', 'phone'] as const satisfies readonly CanonicalField[];

/**
 * Column names of each field, most specific first. When two columns name the same field, the
 * one whose name comes first here wins (an "Email" column beats a "Mail" column, "Last
 * Modified" beats "Created At"); the other is kept as a trait.
 */
export const FIELD_SYNONYMS: Record<CanonicalField, readonly string[]> = {
  source_record_id: ['source_record_id', 'record_id', 'contact_id', 'crm_id', 'customer_id', 'id', 'contact_record_id', 'crm_record_id'],
  auth_user_id: ['auth_user_id', 'user_id', 'auth_id'],
  email: ['email', 'e-mail', 'email_address', 'e-mail_address', 'mail', 'primary_email'],
  phone: ['phone', 'mobile', 'phone_number', 'mobile_phone', 'mobile_phone_number', 'mobile_number', 'telephone', 'cell', 'cell_phone', 'tel', 'primary_phone'],
  first_name: ['first_name', 'firstname', 'given_name', 'forename'],
  last_name: ['last_name', 'lastname', 'surname', 'family_name'],
  full_name: ['full_name', 'name', 'contact_name'],
  date_of_birth: ['date_of_birth', 'dob', 'birthdate', 'birthday', 'birth_date'],
  gender: ['gender', 'sex'],
  street: ['street', 'address', 'address_1', 'address_line_1', 'street_address', 'mailing_street'],
  city: ['city', 'town', 'suburb', 'mailing_city'],
  region: ['region', 'state', 'province', 'state/region', 'state/province', 'mailing_state', 'mailing_state/province'],
  postal_code: ['postal_code', 'postcode', 'zip', 'zip_code', 'zip/postal_code', 'mailing_postal_code', 'mailing_zip/postal_code'],
  country: ['country', 'country/region', 'country_code', 'mailing_country'],
  language: ['language', 'locale', 'preferred_language'],
  company: ['company', 'company_name', 'organization', 'account_name'],
  job_title: ['job_title', 'title'],
  lifecycle_stage: ['lifecycle_stage', 'lifecyclestage', 'stage'],
  status: ['status', 'lead_status', 'contact_status'],
  tags: ['tags', 'tag', 'labels'],
  occurred_at: ['occurred_at', 'updated_at', 'last_modified', 'last_modified_date', 'lastmodifieddate', 'modified_at', 'created_at', 'created_date', 'createdate', 'create_date'],
};

/** The comparison key of a column name: lower case, no accents, letters and digits only. */
export function columnKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** "Loyalty Number" → loyalty_number, "Numéro client" → numero_client, "customerTier" → customer_tier. */
export function snakeCase(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1_$2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

const SYNONYM_RANK = new Map<string, { field: CanonicalField; rank: number }>();
for (const field of CANONICAL_FIELDS) {
  FIELD_SYNONYMS[field].forEach((name, rank) => {
    const key = columnKey(name);
    if (!SYNONYM_RANK.has(key)) SYNONYM_RANK.set(key, { field, rank });
  });
}

/** The canonical field a column name stands for, or null. */
export function fieldOfColumn(name: string): CanonicalField | null {
  return SYNONYM_RANK.get(columnKey(name))?.field ?? null;
}

/** A mapping target given by the user: a canonical field (or one of its names), or traits.NAME. */
export type MapTarget = { field: CanonicalField } | { trait: string };

export class ColumnMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ColumnMapError';
  }
}

function targetOf(text: string): MapTarget {
  const trimmed = text.trim();
  const trait = /^traits?\.(.+)$/i.exec(trimmed);
  if (trait) {
    const name = snakeCase(trait[1]!);
    if (!name) throw new ColumnMapError(`"${trimmed}" names no trait`);
    // traits.first_name is the first_name field, so two columns never write the same trait.
    if ((CANONICAL_FIELDS as string[]).includes(name)) return { field: name as CanonicalField };
    return { trait: name };
  }
  const field = fieldOfColumn(trimmed);
  if (!field) {
    throw new ColumnMapError(`unknown field "${trimmed}"; map a column to one of ${CANONICAL_FIELDS.join(', ')}, or to traits.NAME`);
  }
  return { field };
}

/**
 * Parses `--map "E-Mail Address=email,Mobile=phone"` (and repeated --map options) into column
 * overrides, keyed by the column's comparison key.
 */
export function parseColumnMap(specs: string | readonly string[] | undefined): Map<string, { column: string; target: MapTarget }> {
  const out = new Map<string, { column: string; target: MapTarget }>();
  for (const spec of typeof specs === 'string' ? [specs] : (specs ?? [])) {
    for (const part of spec.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.lastIndexOf('=');
      if (eq <= 0 || eq === part.length - 1) throw new ColumnMapError(`"${part.trim()}" is not COLUMN=FIELD`);
      const column = part.slice(0, eq).trim();
      const key = columnKey(column);
      if (!key) throw new ColumnMapError(`"${part.trim()}" names no column`);
      out.set(key, { column, target: targetOf(part.slice(eq + 1)) });
    }
  }
  return out;
}

export interface ColumnAssignment {
  /** Position of the column in the header (or in the record's keys). */
  index: number;
  column: string;
  /** The canonical field the column holds, or null when it is kept as a trait. */
  field: CanonicalField | null;
  /** Trait name of a column kept as a trait. */
  trait: string | null;
  via: 'map' | 'name' | 'unrecognised';
}

export interface ColumnMapping {
  columns: ColumnAssignment[];
  /** Column index of each mapped field. */
  fields: Partial<Record<CanonicalField, number>>;
}

/**
 * Assigns every column of a header to a canonical field or a trait. Overrides from --map win;
 * then each field takes the column whose name ranks first among its synonyms; every other
 * column is a trait under its snake_case name (made unique).
 */
export function detectColumns(
  header: readonly string[],
  overrides: Map<string, { column: string; target: MapTarget }> = new Map(),
): ColumnMapping {
  const columns: ColumnAssignment[] = header.map((column, index) => ({ index, column, field: null, trait: null, via: 'unrecognised' }));
  const fields: Partial<Record<CanonicalField, number>> = {};
  const keys = header.map(columnKey);

  const overridden = new Set<number>();
  for (const [key, { target }] of overrides) {
    const index = keys.indexOf(key);
    if (index < 0) continue;
    overridden.add(index);
    const assignment = columns[index]!;
    assignment.via = 'map';
    if ('field' in target) {
      if (fields[target.field] !== undefined) {
        throw new ColumnMapError(`two columns are mapped to ${target.field}: "${header[fields[target.field]!]}" and "${header[index]}"`);
      }
      assignment.field = target.field;
      fields[target.field] = index;
    } else {
      if (columns.some((c) => c !== assignment && c.trait === target.trait)) {
        throw new ColumnMapError(`two columns are mapped to traits.${target.trait}`);
      }
      assignment.trait = target.trait;
    }
  }

  const best = new Map<CanonicalField, { index: number; rank: number }>();
  keys.forEach((key, index) => {
    if (overridden.has(index)) return;
    const synonym = SYNONYM_RANK.get(key);
    if (!synonym || fields[synonym.field] !== undefined) return;
    const current = best.get(synonym.field);
    if (!current || synonym.rank < current.rank) best.set(synonym.field, { index, rank: synonym.rank });
  });
  for (const [field, { index }] of best) {
    columns[index]!.field = field;
    columns[index]!.via = 'name';
    fields[field] = index;
  }

  // Trait names in use: the canonical traits, then every other column's name, made unique.
  const used = new Set<string>(CANONICAL_FIELDS.filter((f) => FIELD_TARGETS[f] === 'traits'));
  for (const c of columns) if (c.trait) used.add(c.trait);
  for (const c of columns) {
    if (c.field || c.trait) continue;
    const base = snakeCase(c.column) || `column_${c.index + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    c.trait = name;
  }
  return { columns, fields };
}

/** True when the mapping has a column for at least one identifier. */
export function hasIdentifierColumn(mapping: ColumnMapping): boolean {
  return IDENTIFIER_FIELDS.some((f) => mapping.fields[f] !== undefined);
}

/** One line describing a mapping, column names only: "Contact ID→source_record_id, Loyalty Number→traits.loyalty_number". */
export function describeMapping(mapping: ColumnMapping): string {
  return mapping.columns.map((c) => `${c.column}→${c.field ?? `traits.${c.trait}`}`).join(', ');
}

/** Text of a cell: strings trimmed, numbers and booleans as text, nested values as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Tags from "vip; newsletter", "vip|newsletter", "vip, newsletter" or a JSON array. */
export function splitTags(value: unknown): string[] {
  const parts = Array.isArray(value) ? value.map(cellText) : cellText(value).split(/[;|,]/);
  return [...new Set(parts.map((t) => t.trim()).filter((t) => t !== ''))];
}

export type FieldValues = Partial<Record<Exclude<CanonicalField, 'tags'>, string>> & { tags?: string[] };

/** A person record read through a mapping: the canonical fields and the other columns as traits. */
export interface PersonRecord {
  fields: FieldValues;
  /** Columns kept as traits, by trait name; empty cells are left out. */
  extra: Record<string, string>;
}

/** Reads one record (cells by column index) through a mapping; empty cells are left out. */
export function readPerson(mapping: ColumnMapping, cells: readonly unknown[]): PersonRecord {
  const fields: FieldValues = {};
  const extra: Record<string, string> = {};
  for (const c of mapping.columns) {
    const raw = cells[c.index];
    if (c.field === 'tags') {
      const tags = splitTags(raw);
      if (tags.length) fields.tags = tags;
    } else if (c.field) {
      const text = cellText(raw);
      if (text !== '') fields[c.field] = text;
    } else if (c.trait) {
      const text = cellText(raw);
      if (text !== '') extra[c.trait] = text;
    }
  }
  return { fields, extra };
}
