/**
 * Blocking: the keys under which two records become candidates for comparison, so that a
 * record is compared with a few others, not with all. A pair is a candidate when any key is
 * shared; a key shared by more than `maxBlock` records is skipped (too common to tell anyone
 * apart, like a family phone as a merge key).
 */
import doubleMetaphone from 'talisman/phonetics/double-metaphone.js';
import type { PersonRecord } from './person.ts';

const phonetic = (v: string | null) => (v ? doubleMetaphone(v.replace(/ /g, ''))[0] || v.slice(0, 4) : null);

/** The blocking keys of a record. */
export function blockingKeys(r: PersonRecord): string[] {
  const keys: string[] = [];
  const add = (name: string, ...parts: (string | null | undefined)[]) => {
    if (parts.every((p) => p)) keys.push(`${name}:${parts.join('|')}`);
  };
  const given = phonetic(r.given);
  const surname = phonetic(r.surname);
  add('source', r.sourceId);
  add('email', r.email);
  add('phone', r.phone);
  add('dob', r.dob);
  // Both names, in either order (given and surname are sometimes swapped).
  if (given && surname) keys.push(`names:${[given, surname].sort().join('|')}`);
  add('surname+dob-year', surname, r.dob?.slice(0, 4));
  add('given+dob-year', given, r.dob?.slice(0, 4));
  add('postcode+given', r.postcode, r.given?.[0]);
  add('postcode+surname', r.postcode, r.surname?.[0]);
  add('street', r.streetNumber, phonetic(r.street));
  add('surname+city', surname, phonetic(r.city));
  return keys;
}

/** Candidate pairs (as index pairs i < j) of a set of records. */
export function candidatePairs(records: PersonRecord[], maxBlock = 200): [number, number][] {
  const blocks = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const key of blockingKeys(r)) {
      const list = blocks.get(key);
      if (list) list.push(i);
      else blocks.set(key, [i]);
    }
  });
  const seen = new Set<number>();
  const pairs: [number, number][] = [];
  const n = records.length;
  for (const members of blocks.values()) {
    if (members.length < 2 || members.length > maxBlock) continue;
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const i = members[x]!;
        const j = members[y]!;
        const code = i < j ? i * n + j : j * n + i;
        if (seen.has(code)) continue;
        seen.add(code);
        pairs.push(i < j ? [i, j] : [j, i]);
      }
    }
  }
  return pairs;
}
