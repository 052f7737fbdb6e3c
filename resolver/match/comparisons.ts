/**
 * The comparisons of two person records, each a list of levels from the most to the least alike
 * (Fellegi-Sunter). A level's m is how often the records of one person show it: set from what
 * the noise of real systems is (typos, nicknames, moves), the same for every tenant and layout,
 * never fitted to a file. Its u, how often two different people show it, comes from the
 * tenant's own records (random pairs), and for an exact match on a name, city, postcode or email
 * domain from the frequency of that very value (frequencies.ts).
 *
 * A comparison with either value missing gives no level: no evidence either way. A level may
 * veto a link: different given names (not a nickname, an initial or a typo) are a household
 * member, not the same person; dates of birth more than ten years apart are a parent and child.
 */
import { distance as levenshtein } from 'fastest-levenshtein';
import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import { namesMayBeSame } from '../names/given-name.ts';
import type { MatchRecord } from './record.ts';
import type { TfField } from './frequencies.ts';

export interface Level {
  name: string;
  /** P(level | same person). */
  m: number;
  /** P(level | two different people) before the tenant's records say: a generic prior. */
  u: number;
  /** Exact match adjusted by the frequency of the value of this field. */
  tf?: TfField;
  /** Two records at this level are never one person (unless a national ID agrees). */
  veto?: string;
  /**
   * Too little to stand against a member that vetoes: an entity that matches the record only
   * through an initial ("J") while another member's full name differs is someone else.
   */
  weak?: boolean;
}

export interface Comparison {
  name: string;
  levels: readonly Level[];
  /** The level index, or -1 when either value is missing. */
  level(a: MatchRecord, b: MatchRecord): number;
  /**
   * Whether the comparison reads nothing that tells the two records apart (the fields it compares,
   * and those its level's frequency comes from, are equal): each then gives the same level and
   * weight against any record, so an entity's members alike in it are compared once. Absent:
   * every member is compared.
   */
  alike?(x: MatchRecord, y: MatchRecord): boolean;
}

/** The fields the name comparisons read: both names (a swap crosses them), and the forms of the given name that follow from it. */
const namesAlike = (x: MatchRecord, y: MatchRecord) => x.given === y.given && x.surname === y.surname;

/**
 * Which characters of each string Jaro matched, reused by every call: a position is matched when
 * it holds the stamp of the current call, so nothing needs clearing (grown for a longer string).
 */
const jaroScratch = { shorter: new Int32Array(64), longer: new Int32Array(64), stamp: 0 };

/**
 * The Jaro similarity, computed as talisman's metrics/jaro computes it (the same matches,
 * transpositions and arithmetic, so the same number), without allocating per call.
 */
function jaro(a: string, b: string): number {
  if (a === b) return 1;
  const swap = a.length > b.length;
  const min = swap ? b : a;
  const max = swap ? a : b;
  if (jaroScratch.longer.length < max.length || jaroScratch.stamp === 0x7fffffff) {
    jaroScratch.shorter = new Int32Array(Math.max(64, max.length * 2));
    jaroScratch.longer = new Int32Array(Math.max(64, max.length * 2));
    jaroScratch.stamp = 0;
  }
  const { shorter, longer } = jaroScratch;
  const stamp = ++jaroScratch.stamp;
  const range = Math.max(((max.length / 2) | 0) - 1, 0);
  let matches = 0;
  for (let i = 0; i < min.length; i++) {
    const character = min.charCodeAt(i);
    const end = Math.min(i + range + 1, max.length);
    for (let j = Math.max(i - range, 0); j < end; j++) {
      if (longer[j] !== stamp && character === max.charCodeAt(j)) {
        shorter[i] = stamp;
        longer[j] = stamp;
        matches++;
        break;
      }
    }
  }
  if (!matches) return 0;
  // The matched characters of each, in order, compared position by position.
  let transpositions = 0;
  for (let i = 0, j = 0; i < min.length; i++) {
    if (shorter[i] !== stamp) continue;
    while (longer[j] !== stamp) j++;
    if (min.charCodeAt(i) !== max.charCodeAt(j)) transpositions++;
    j++;
  }
  const t = (transpositions / 2) | 0;
  const m = matches;
  return (m / a.length + m / b.length + (m - t) / m) / 3;
}

/** Jaro-Winkler as talisman's metrics/jaro-winkler (boost from 0.7, prefix of up to 4 scaled by 0.1). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const dj = jaro(a, b);
  if (dj < 0.7) return dj;
  const p = 0.1;
  let l = 0;
  const prefixLimit = Math.min(a.length, b.length, 4);
  for (let i = 0; i < prefixLimit; i++) {
    if (a[i] === b[i]) l++;
    else break;
  }
  return dj + l * p * (1 - dj);
}

const jw = jaroWinkler;

/**
 * At least jaroWinkler(a, b), cheaply: Jaro matches no more characters than those of the shorter
 * string found anywhere in the longer (looked up in a 32-bit mask of the longer's characters,
 * which can only err upwards), with no transposition, boosted by the same common prefix.
 */
export function jaroWinklerBound(a: string, b: string): number {
  if (a === b) return 1;
  const swap = a.length > b.length;
  const min = swap ? b : a;
  const max = swap ? a : b;
  let mask = 0;
  for (let j = 0; j < max.length; j++) mask |= 1 << (max.charCodeAt(j) & 31);
  let m = 0;
  for (let i = 0; i < min.length; i++) if (mask & (1 << (min.charCodeAt(i) & 31))) m++;
  if (m === 0) return 0;
  const dj = (m / a.length + m / b.length + 1) / 3;
  if (dj < 0.7) return dj;
  let l = 0;
  const prefixLimit = Math.min(a.length, b.length, 4);
  for (let i = 0; i < prefixLimit; i++) {
    if (a[i] === b[i]) l++;
    else break;
  }
  return dj + l * 0.1 * (1 - dj);
}

/** Rounding in the bound's arithmetic, which a bound this far under a threshold cannot hide. */
const BOUND_MARGIN = 1e-9;

/** Whether jaroWinkler(a, b) >= threshold, without computing it when its bound says no. */
const jwAtLeast = (a: string, b: string, threshold: number) => jaroWinklerBound(a, b) + BOUND_MARGIN >= threshold && jw(a, b) >= threshold;

/** Levels by Jaro-Winkler similarity after exact: each threshold, then different. */
/**
 * The two address lines written the other way round: the street of each in the other's second
 * line (the locality). The address and the locality are then compared crosswise.
 */
function linesSwapped(a: MatchRecord, b: MatchRecord): boolean {
  if (!a.street || !b.street || !a.locality || !b.locality) return false;
  const near = (x: string, y: string) => x === y || jwAtLeast(x, y, 0.92);
  return !near(a.street, b.street) && near(a.street, b.locality) && near(a.locality, b.street);
}

/** The second address line (a locality, a building): exact, near, different; crosswise when the lines are swapped. */
const locality: Comparison = {
  name: 'locality',
  levels: [
    { name: 'exact', m: 0.8, u: 0.001 },
    { name: 'jw>=0.90', m: 0.1, u: 0.005 },
    { name: 'different', m: 0.1, u: 0.994 },
  ],
  level(a, b) {
    const x = a.locality;
    const y = linesSwapped(a, b) ? b.street : b.locality;
    if (!x || !y) return -1;
    if (x === y) return 0;
    if (jaroWinklerBound(x, y) + BOUND_MARGIN < 0.9) return 2;
    return jw(x, y) >= 0.9 ? 1 : 2;
  },
  alike: (x, y) => x.locality === y.locality && x.street === y.street,
};

/** Whether a name is near the other one, null when either is missing. */
const crosses = (x: string | null, y: string | null) => (x && y ? jwAtLeast(x, y, 0.92) : null);

/** Given name and surname written the other way round: each name present crosses to the other. */
function swapped(a: MatchRecord, b: MatchRecord): boolean {
  const one = crosses(a.given, b.surname);
  const other = crosses(a.surname, b.given);
  return (one === true && other !== false) || (other === true && one !== false);
}

/** Endings that turn a given name into another one (Daniel, Danielle; Eric, Erica), not a typo of it. */
const VARIANT_ENDINGS = new Set(['a', 'e', 'ie', 'y', 'le', 'lle', 'ne', 'ine', 'na', 'ina', 'ette', 'etta', 'o', 'us']);

/**
 * How many typos apart two given names plausibly are (1 or 2), or null for two different names.
 * Jaro-Winkler cannot tell a typo (Tohmas, 0.95) from a sibling's name (Danielle for Daniel,
 * 0.95; Michelle for Michael, 0.92), so: one edit or two neighbours swapped, in a name of five
 * letters or more (in four letters only a dropped, doubled or swapped letter: John and Joan are
 * two people); two edits in a name of seven or more; never a name that is the other plus a
 * variant ending.
 */
function givenNameTypos(x: string, y: string): 1 | 2 | null {
  // More than two edits apart: by their lengths, or by letters one holds that the other lacks.
  if (Math.abs(x.length - y.length) > 2 || lettersMissing(x, y) > 2 || lettersMissing(y, x) > 2) return null;
  const short = x.length <= y.length ? x : y;
  const long = x.length <= y.length ? y : x;
  if (long.startsWith(short) && VARIANT_ENDINGS.has(long.slice(short.length))) return null;
  const n = short.length;
  const d = levenshtein(x, y);
  const transposed = x.length === y.length && d === 2 && [...x].filter((c, i) => c !== y[i]).length === 2 && typoOfLetters(x, y);
  if (d === 1 || transposed) {
    if (n >= 5) return 1;
    return n === 4 && (transposed || x.length !== y.length) ? 1 : null;
  }
  // Two typos in a long name; a swap of neighbours counts as one (lachlq-njohn, lachlan-john).
  const two = d === 2 || (d === 3 && n >= 7 && damerauLevenshtein(x, y) === 2);
  return two && n >= 7 && jwAtLeast(x, y, 0.9) ? 2 : null;
}

/**
 * How many characters of x do not occur in y (found in a 32-bit mask of y's, which can only
 * undercount): each needs an edit of its own, so x and y are at least this many edits apart.
 */
function lettersMissing(x: string, y: string): number {
  let mask = 0;
  for (let j = 0; j < y.length; j++) mask |= 1 << (y.charCodeAt(j) & 31);
  let missing = 0;
  for (let i = 0; i < x.length; i++) if (!(mask & (1 << (x.charCodeAt(i) & 31)))) missing++;
  return missing;
}

/** Two neighbouring letters swapped, the rest equal. */
function typoOfLetters(x: string, y: string): boolean {
  const i = [...x].findIndex((c, k) => c !== y[k]);
  return i >= 0 && i < x.length - 1 && x[i] === y[i + 1] && x[i + 1] === y[i] && x.slice(i + 2) === y.slice(i + 2);
}

function someStartsWith(forms: readonly string[], initial: string): boolean {
  for (const f of forms) if (f.startsWith(initial)) return true;
  return false;
}

const isInitial = (name: string) => name.length === 1 || (name.length === 2 && [...name].length === 1);

/**
 * namesMayBeSame (names/given-name.ts) of the records' given names, answered from the forms each
 * record already holds: givenForms is canonicalGivenName(given), the folded name first, and
 * folding a folded name changes nothing, so this is the same test without folding and looking
 * up both names again for every pair. A record without its forms falls back to namesMayBeSame.
 */
function givenNamesMayBeSame(a: MatchRecord, b: MatchRecord): boolean {
  const x = a.givenForms;
  const y = b.givenForms;
  if (!x || !y) return namesMayBeSame(a.given!, b.given!);
  if (x.length === 0 || y.length === 0) return false;
  const fx = x[0]!;
  const fy = y[0]!;
  if (fx === fy) return true;
  if (isInitial(fx)) return someStartsWith(y, fx);
  if (isInitial(fy)) return someStartsWith(x, fy);
  for (const f of y) if (x.includes(f)) return true;
  return false;
}

const givenName: Comparison = {
  name: 'given_name',
  levels: [
    { name: 'exact', m: 0.8, u: 0.01, tf: 'given' },
    { name: 'nickname', m: 0.05, u: 0.002 },
    { name: 'one typo', m: 0.08, u: 0.002 },
    { name: 'two typos', m: 0.03, u: 0.002 },
    { name: 'initial', m: 0.02, u: 0.05, weak: true },
    { name: 'swapped with the surname', m: 0.02, u: 0.0001 },
    { name: 'different', m: 0.01, u: 0.93, veto: 'different given names' },
  ],
  level(a, b) {
    if (!a.given || !b.given) return -1;
    if (a.given === b.given) return 0;
    const initial = a.given.length === 1 || b.given.length === 1;
    if (givenNamesMayBeSame(a, b)) return initial ? 4 : 1;
    if (initial) return 6;
    const typos = givenNameTypos(a.given, b.given);
    if (typos === 1) return 2;
    if (typos === 2) return 3;
    if (swapped(a, b)) return 5;
    return 6;
  },
  alike: namesAlike,
};

const surname: Comparison = {
  name: 'surname',
  levels: [
    { name: 'exact', m: 0.85, u: 0.005, tf: 'surname' },
    { name: 'jw>=0.92', m: 0.07, u: 0.002 },
    { name: 'jw>=0.80', m: 0.04, u: 0.01 },
    { name: 'different', m: 0.02, u: 0.98 },
  ],
  level(a, b) {
    if (!a.surname || !b.surname) return -1;
    if (a.surname === b.surname) return 0;
    if (jaroWinklerBound(a.surname, b.surname) + BOUND_MARGIN >= 0.8) {
      const s = jw(a.surname, b.surname);
      if (s >= 0.92) return 1;
      if (s >= 0.8) return 2;
    }
    // Names written the other way round: the given name's comparison counts it, once.
    if (swapped(a, b)) return -1;
    return 3;
  },
  alike: namesAlike,
};

/** Whether x.slice(i, i + n) === y.slice(j, j + n), without making either. */
function samePart(x: string, i: number, y: string, j: number, n: number): boolean {
  const length = Math.max(0, Math.min(x.length, i + n) - i);
  if (length !== Math.max(0, Math.min(y.length, j + n) - j)) return false;
  for (let k = 0; k < length; k++) if (x.charCodeAt(i + k) !== y.charCodeAt(j + k)) return false;
  return true;
}

/** One digit typed wrong, or two neighbouring digits swapped. */
function typoOfDigits(x: string, y: string): boolean {
  let diff = 0;
  let first = -1;
  for (let i = 0; i < 8; i++) {
    if (x[i] !== y[i]) {
      if (first < 0) first = i;
      diff++;
    }
  }
  if (diff === 1) return true;
  return diff === 2 && first < 7 && x[first] === y[first + 1] && x[first + 1] === y[first];
}

const dateOfBirth: Comparison = {
  name: 'date_of_birth',
  levels: [
    { name: 'exact', m: 0.88, u: 0.0001 },
    { name: 'one digit or two swapped', m: 0.07, u: 0.001 },
    { name: 'day and month swapped', m: 0.02, u: 0.0001 },
    { name: 'within a month', m: 0.01, u: 0.003 },
    { name: 'within a year', m: 0.005, u: 0.03 },
    { name: 'within ten years', m: 0.003, u: 0.25 },
    { name: 'different', m: 0.002, u: 0.72, veto: 'dates of birth more than ten years apart' },
  ],
  level(a, b) {
    const x = a.dob;
    const y = b.dob;
    if (!x || !y) return -1;
    if (x === y) return 0;
    if (typoOfDigits(x, y)) return 1;
    const sameYear = samePart(x, 0, y, 0, 4);
    if (sameYear && samePart(x, 4, y, 6, 2) && samePart(x, 6, y, 4, 2)) return 2;
    if (a.dobDay === null || b.dobDay === null) return sameYear ? 4 : 6;
    const days = Math.abs(a.dobDay - b.dobDay);
    if (days <= 31) return 3;
    if (days <= 366) return 4;
    if (days <= 3653) return 5;
    return 6;
  },
  alike: (x, y) => x.dob === y.dob && x.dobDay === y.dobDay,
};

function exact(name: string, field: 'region' | 'phone', mExact: number, uExact: number): Comparison {
  return {
    name,
    levels: [
      { name: 'exact', m: mExact, u: uExact },
      { name: 'different', m: 1 - mExact, u: 1 - uExact },
    ],
    level(a, b) {
      const x = a[field];
      const y = b[field];
      if (!x || !y) return -1;
      return x === y ? 0 : 1;
    },
  };
}

const nationalId: Comparison = {
  name: 'national_id',
  levels: [
    { name: 'exact', m: 0.88, u: 0.000001 },
    { name: 'one edit', m: 0.07, u: 0.00001 },
    { name: 'two edits', m: 0.02, u: 0.0002 },
    { name: 'different', m: 0.03, u: 0.9998 },
  ],
  level(a, b) {
    if (!a.nationalId || !b.nationalId) return -1;
    if (a.nationalId === b.nationalId) return 0;
    const d = levenshtein(a.nationalId, b.nationalId);
    return d === 1 ? 1 : d === 2 && Math.min(a.nationalId.length, b.nationalId.length) >= 6 ? 2 : 3;
  },
  alike: (x, y) => x.nationalId === y.nationalId,
};

/**
 * Local parts a typo or two apart: both of six characters or more, with the same digits (ann.lee
 * and ann.le are a typo apart; person7 and person115, or ann.lee1 and ann.lee2, are other
 * accounts).
 */
function nearLocalParts(x: string, y: string): boolean {
  if (x.length < 6 || y.length < 6) return false;
  return digitsOf(x) === digitsOf(y) && levenshtein(x, y) <= 2;
}

const digitsOf = (v: string) => v.replace(/[^0-9]/g, '');

const email: Comparison = {
  name: 'email',
  levels: [
    { name: 'exact', m: 0.8, u: 0.000001 },
    { name: 'local part exact', m: 0.06, u: 0.00001 },
    { name: 'local part within two edits, same domain', m: 0.04, u: 0.0001, tf: 'emailDomain' },
    { name: 'different', m: 0.1, u: 0.9999 },
  ],
  level(a, b) {
    if (!a.email || !b.email) return -1;
    if (a.email === b.email) return 0;
    if (!a.emailLocal || !b.emailLocal) return 3;
    // Local parts that both spell the names: at two providers, the names said again (no
    // evidence); two spellings at one provider, two inboxes. A typo spells no names.
    const fromNames = a.emailLocalFromNames && b.emailLocalFromNames;
    if (a.emailLocal === b.emailLocal) return fromNames ? -1 : 1;
    if (a.emailDomain === b.emailDomain && !fromNames && nearLocalParts(a.emailLocal, b.emailLocal)) return 2;
    return 3;
  },
  alike: (x, y) => x.email === y.email && x.emailLocal === y.emailLocal && x.emailDomain === y.emailDomain && x.emailLocalFromNames === y.emailLocalFromNames,
};

/**
 * The home: house number and street together, since they say one thing (counted apart, with the
 * city and postcode, a shared address would count four times for everyone living there).
 */
const address: Comparison = {
  name: 'address',
  levels: [
    { name: 'same house', m: 0.72, u: 0.0002 },
    { name: 'same street, house number differs or missing', m: 0.08, u: 0.01 },
    { name: 'different', m: 0.2, u: 0.9978 },
  ],
  level(a, b) {
    if (!a.street || !b.street) return -1;
    const sameStreet = a.street === b.street || jwAtLeast(a.street, b.street, 0.92) || linesSwapped(a, b);
    if (!sameStreet) return 2;
    return a.streetNumber && b.streetNumber && a.streetNumber === b.streetNumber ? 0 : 1;
  },
  alike: (x, y) => x.street === y.street && x.streetNumber === y.streetNumber && x.locality === y.locality,
};

/** The town: postcode, else city (each adjusted by how common it is), else near spellings of either. */
const place: Comparison = {
  name: 'place',
  levels: [
    { name: 'postcode exact', m: 0.75, u: 0.005, tf: 'postcode' },
    { name: 'city exact', m: 0.1, u: 0.01, tf: 'city' },
    { name: 'postcode one edit or city jw>=0.92', m: 0.06, u: 0.02 },
    { name: 'different', m: 0.09, u: 0.965 },
  ],
  level(a, b) {
    const postcodes = Boolean(a.postcode && b.postcode);
    const cities = Boolean(a.city && b.city);
    if (!postcodes && !cities) return -1;
    if (postcodes && a.postcode === b.postcode) return 0;
    if (cities && a.city === b.city) return 1;
    if ((postcodes && levenshtein(a.postcode!, b.postcode!) === 1) || (cities && jwAtLeast(a.city!, b.city!, 0.92))) return 2;
    return 3;
  },
  alike: (x, y) => x.postcode === y.postcode && x.city === y.city,
};

/** The comparisons, in a fixed order. */
export const COMPARISONS: readonly Comparison[] = [
  givenName,
  surname,
  dateOfBirth,
  address,
  locality,
  place,
  exact('region', 'region', 0.9, 0.2),
  nationalId,
  email,
  exact('phone', 'phone', 0.7, 0.00001),
];

export const NATIONAL_ID = COMPARISONS.indexOf(nationalId);
