/**
 * The person record of an event, for probabilistic matching: names, date of birth and address
 * from its traits (under the names the connectors and common exports use), identifiers from
 * its identity. Null when the event carries too little fuzzy evidence to compare (a name and
 * one of date of birth, street, postcode or city).
 */
import { createHash } from 'node:crypto';
import type { RawEvent } from '../../schemas/types.ts';
import { personRecord, type PersonRecord } from './person.ts';

export const TRAIT_NAMES = {
  given: ['first_name', 'given_name', 'firstname'],
  surname: ['last_name', 'surname', 'family_name', 'lastname'],
  full: ['full_name', 'name'],
  dob: ['date_of_birth', 'dob', 'birthday', 'birth_date'],
  streetNumber: ['street_number', 'house_number'],
  street: ['street', 'address', 'address_1', 'street_address'],
  locality: ['address_2', 'locality'],
  city: ['city', 'suburb', 'town'],
  postcode: ['postal_code', 'postcode', 'zip'],
  region: ['region', 'state', 'province'],
  // A person's national or membership number, compared with typos allowed; not a source record ID.
  nationalId: ['national_id', 'ssn', 'soc_sec_id', 'tax_id'],
} as const;

/** The first non-empty trait of the names given, as text. */
function traitOf(traits: RawEvent['traits'], names: readonly string[]): string | null {
  for (const n of names) {
    const v = traits[n];
    if (v !== null && v !== undefined && String(v).trim() !== '') return String(v);
  }
  return null;
}

/** The given name an event carries in its traits, if any. */
export const givenNameOf = (traits: RawEvent['traits']): string | null => traitOf(traits, TRAIT_NAMES.given);

export function personRecordOfEvent(event: RawEvent): PersonRecord | null {
  const trait = (names: readonly string[]) => traitOf(event.traits, names);
  let given = trait(TRAIT_NAMES.given);
  let surname = trait(TRAIT_NAMES.surname);
  const full = trait(TRAIT_NAMES.full);
  if (!given && !surname && full) {
    const parts = full.trim().split(/\s+/);
    given = parts[0] ?? null;
    surname = parts.slice(1).join(' ') || null;
  }
  const record = personRecord(event.event_id, {
    given,
    surname,
    dob: trait(TRAIT_NAMES.dob),
    streetNumber: trait(TRAIT_NAMES.streetNumber),
    street: trait(TRAIT_NAMES.street),
    locality: trait(TRAIT_NAMES.locality),
    city: trait(TRAIT_NAMES.city),
    postcode: trait(TRAIT_NAMES.postcode),
    region: trait(TRAIT_NAMES.region),
    sourceId: trait(TRAIT_NAMES.nationalId),
    email: event.identity.email,
    phone: event.identity.phone,
  });
  const named = record.given !== null || record.surname !== null;
  const placed = record.dob !== null || record.street !== null || record.postcode !== null || record.city !== null;
  return named && placed ? record : null;
}

/** A digest of a record's content (not its ID): one stored row per distinct record of a profile. */
export function recordFingerprint(record: PersonRecord): string {
  const { id: _id, ...content } = record;
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22);
}
