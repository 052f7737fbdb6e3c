/**
 * A person record as the entity matcher compares it: the fields of a PersonRecord (already
 * cleaned: lower case, ASCII, single spaces) with what the comparisons need computed once
 * (the canonical forms and sound of the names, the date of birth as a day number, the email's
 * local part and domain), and the address brought to one shape whatever the layout: a house
 * number written at the start of the street column is the street number, so "7 wallaby place"
 * in one column compares with "7" and "wallaby place" in two.
 */
import doubleMetaphone from 'talisman/phonetics/double-metaphone.js';
import { canonicalGivenName } from '../names/given-name.ts';
import type { PersonRecord } from '../fuzzy/person.ts';

export interface MatchRecord {
  id: string;
  given: string | null;
  /** The given name and the canonical names it may stand for (bob: bob, robert). */
  givenForms: readonly string[];
  givenSound: string | null;
  surname: string | null;
  surnameSound: string | null;
  /** YYYYMMDD. */
  dob: string | null;
  /** Days since 1970-01-01 of the date of birth, when it is a real date. */
  dobDay: number | null;
  streetNumber: string | null;
  street: string | null;
  locality: string | null;
  city: string | null;
  postcode: string | null;
  region: string | null;
  nationalId: string | null;
  email: string | null;
  emailLocal: string | null;
  emailDomain: string | null;
  /**
   * Whether the email's local part, its letters only, spells the record's own names (john.smith,
   * jsmith, smith.john7): then it repeats what the name comparisons weigh, and other people of
   * those names spell theirs the same way at other providers, or another way at the same one.
   */
  emailLocalFromNames: boolean;
  phone: string | null;
}

/** The sound of a name (Double Metaphone's primary code), for blocking. */
export const soundOf = (name: string | null): string | null => (name ? doubleMetaphone(name.replace(/ /g, ''))[0] || name.slice(0, 4) : null);

/** Placeholder values typed when nothing is known: no evidence. */
const PLACEHOLDERS = new Set(['unknown', 'none', 'null', 'n a', 'na', 'nil', 'test', 'xxx', 'x', '-', 'not known', 'no name']);
const real = (v: string | null) => (v === null || PLACEHOLDERS.has(v) ? null : v);

function dayOf(dob: string | null): number | null {
  if (!dob) return null;
  const y = Number(dob.slice(0, 4));
  const m = Number(dob.slice(4, 6));
  const d = Number(dob.slice(6, 8));
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const t = Date.UTC(y, m - 1, d);
  return Number.isFinite(t) ? Math.floor(t / 86_400_000) : null;
}

/** The spellings of a person's names an email's local part is made of, letters only. */
function nameSpellings(givenForms: readonly string[], surname: string | null): Set<string> {
  const out = new Set<string>();
  const s = surname?.replace(/[^a-z]/g, '') ?? '';
  for (const form of givenForms) {
    const g = form.replace(/[^a-z]/g, '');
    if (!g) continue;
    out.add(g);
    if (!s) continue;
    for (const v of [g + s, s + g, g[0]! + s, s + g[0]!, g + s[0]!]) out.add(v);
  }
  if (s) out.add(s);
  return out;
}

export function matchRecord(r: PersonRecord): MatchRecord {
  let streetNumber = real(r.streetNumber);
  let street = real(r.street);
  const leading = street ? /^(\d+[a-z]?)\s+(.+)$/.exec(street) : null;
  if (leading) {
    if (streetNumber === null || streetNumber === leading[1]) {
      streetNumber = leading[1]!;
      street = leading[2]!;
    }
  }
  const given = real(r.given);
  const surname = real(r.surname);
  const email = real(r.email);
  const at = email ? email.lastIndexOf('@') : -1;
  const dob = r.dob && /^(0{8}|1{8}|19000101|19700101)$/.test(r.dob) ? null : r.dob;
  const givenForms = given ? canonicalGivenName(given) : [];
  const emailLocal = at > 0 ? email!.slice(0, at) : null;
  return {
    id: r.id,
    given,
    givenForms,
    givenSound: soundOf(given),
    surname,
    surnameSound: soundOf(surname),
    dob,
    dobDay: dayOf(dob),
    streetNumber,
    street,
    locality: real(r.locality),
    city: real(r.city),
    postcode: real(r.postcode),
    region: real(r.region),
    nationalId: real(r.sourceId),
    email,
    emailLocal,
    emailDomain: at > 0 ? email!.slice(at + 1) : null,
    emailLocalFromNames: emailLocal !== null && nameSpellings(givenForms, surname).has(emailLocal.replace(/[^a-z]/g, '')),
    phone: real(r.phone),
  };
}
