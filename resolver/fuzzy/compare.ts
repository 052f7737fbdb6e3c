/**
 * Comparisons of two person records, each giving a level from the most to the least alike
 * (as in the Fellegi-Sunter model): the level's m and u probabilities make its match weight.
 * Missing values give no level (no evidence either way).
 */
import { distance as levenshtein } from 'fastest-levenshtein';
import jaroWinkler from 'talisman/metrics/jaro-winkler.js';
import type { PersonRecord } from './person.ts';

export interface Comparison {
  name: string;
  /** Levels from the most alike to the least; the last is "different". */
  levels: readonly string[];
  /** The level index of a pair, or -1 when either value is missing. */
  level(a: PersonRecord, b: PersonRecord): number;
}

const jw = (a: string, b: string) => (a === b ? 1 : jaroWinkler(a, b));

type Field = Exclude<keyof PersonRecord, 'id'>;

/**
 * A comparison of one field: no level when either value is missing, level 0 ("exact") when
 * equal, else the level `differing` gives the two values (and both records, for cross-field checks).
 */
function fieldComparison(
  name: string,
  field: Field,
  levels: readonly string[],
  differing: (x: string, y: string, a: PersonRecord, b: PersonRecord) => number,
): Comparison {
  return {
    name,
    levels,
    level(a, b) {
      const x = a[field];
      const y = b[field];
      if (!x || !y) return -1;
      return x === y ? 0 : differing(x, y, a, b);
    },
  };
}

/** Levels by Jaro-Winkler similarity: exact, then each threshold, then different. */
function stringComparison(name: string, field: Field, thresholds: number[]): Comparison {
  const levels = ['exact', ...thresholds.map((t) => `jw>=${t}`), 'different'];
  return fieldComparison(name, field, levels, (x, y) => {
    const s = jw(x, y);
    const i = thresholds.findIndex((t) => s >= t);
    return i === -1 ? levels.length - 1 : i + 1;
  });
}

/** Levels by edit distance: exact, one edit, different. */
function editComparison(name: string, field: Field): Comparison {
  return fieldComparison(name, field, ['exact', 'one edit', 'different'], (x, y) => (levenshtein(x, y) === 1 ? 1 : 2));
}

function exactComparison(name: string, field: Field): Comparison {
  return fieldComparison(name, field, ['exact', 'different'], () => 1);
}

/** A name compared with the same field, or with the other name field when given and surname were swapped. */
function nameComparison(name: string, field: 'given' | 'surname', other: 'given' | 'surname'): Comparison {
  const levels = ['exact', 'jw>=0.94', 'jw>=0.88', 'swapped with the other name', 'different'];
  return fieldComparison(name, field, levels, (x, y, a, b) => {
    const s = jw(x, y);
    if (s >= 0.94) return 1;
    if (s >= 0.88) return 2;
    const crossA = a[other];
    const crossB = b[other];
    if ((crossB && jw(x, crossB) >= 0.94) || (crossA && jw(crossA, y) >= 0.94)) return 3;
    return 4;
  });
}

/** Dates of birth (YYYYMMDD): exact, one digit off, day and month swapped or two digits transposed, same year, different. */
const dateOfBirth = fieldComparison('date_of_birth', 'dob', ['exact', 'one digit', 'transposed', 'same year', 'different'], (x, y) => {
  let diff = 0;
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) diff++;
  if (diff === 1) return 1;
  if (x.slice(0, 4) === y.slice(0, 4) && x.slice(4, 6) === y.slice(6, 8) && x.slice(6, 8) === y.slice(4, 6)) return 2;
  if (diff === 2) {
    const i = [...x].findIndex((c, k) => c !== y[k]);
    if (i < 7 && x[i] === y[i + 1] && x[i + 1] === y[i]) return 2;
  }
  if (x.slice(0, 4) === y.slice(0, 4)) return 3;
  return 4;
});

/** The comparisons of the model, in a fixed order. */
export const COMPARISONS: readonly Comparison[] = [
  nameComparison('given_name', 'given', 'surname'),
  nameComparison('surname', 'surname', 'given'),
  dateOfBirth,
  exactComparison('street_number', 'streetNumber'),
  stringComparison('street', 'street', [0.92, 0.8]),
  stringComparison('locality', 'locality', [0.9]),
  stringComparison('city', 'city', [0.92, 0.8]),
  editComparison('postcode', 'postcode'),
  exactComparison('region', 'region'),
  editComparison('source_id', 'sourceId'),
  exactComparison('email', 'email'),
  exactComparison('phone', 'phone'),
];

/** The level of every comparison for a pair (-1 where a value is missing). */
export function comparisonVector(a: PersonRecord, b: PersonRecord, comparisons: readonly Comparison[] = COMPARISONS): number[] {
  return comparisons.map((c) => c.level(a, b));
}
