/**
 * A person record as the matcher sees it: the fuzzy evidence (names, date of birth, address)
 * and the exact identifiers, normalized. Built from events' traits and identity, or from the
 * rows of a file by `c360 dedupe`.
 */
export interface PersonRecord {
  id: string;
  given: string | null;
  surname: string | null;
  /** YYYYMMDD. */
  dob: string | null;
  streetNumber: string | null;
  street: string | null;
  locality: string | null;
  city: string | null;
  postcode: string | null;
  region: string | null;
  /** A national or membership number of the person (traits.national_id); may hold typos. */
  sourceId: string | null;
  email: string | null;
  phone: string | null;
}

const clean = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s === '' ? null : s;
};

/** A date of birth as YYYYMMDD from YYYYMMDD or YYYY-MM-DD, else null. */
export function dobKey(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const digits = String(v).replace(/[^0-9]/g, '');
  return digits.length === 8 ? digits : null;
}

export function personRecord(id: string, fields: Partial<Record<keyof Omit<PersonRecord, 'id'>, unknown>>): PersonRecord {
  return {
    id,
    given: clean(fields.given),
    surname: clean(fields.surname),
    dob: dobKey(fields.dob),
    streetNumber: clean(fields.streetNumber),
    street: clean(fields.street),
    locality: clean(fields.locality),
    city: clean(fields.city),
    postcode: clean(fields.postcode)?.replace(/ /g, '') ?? null,
    region: clean(fields.region),
    sourceId: clean(fields.sourceId)?.replace(/ /g, '') ?? null,
    email: clean(fields.email) === null ? null : String(fields.email).trim().toLowerCase(),
    phone: clean(fields.phone) === null ? null : String(fields.phone).replace(/[^0-9+]/g, ''),
  };
}
