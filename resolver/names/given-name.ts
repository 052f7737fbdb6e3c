/**
 * Given names compared through their diminutives: Bob and Robert, Liz and Elizabeth, an initial
 * and the name it may stand for. Fuzzy evidence only, never a merge key on its own.
 */
import { foldText } from './fold.ts';
import { NICKNAMES } from './nicknames.ts';

/** For each name in the table, the canonical names it may stand for (itself first when canonical). */
const CANONICAL: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, Set<string>>();
  const add = (name: string, canonical: string) => {
    const set = map.get(name) ?? new Set<string>();
    set.add(canonical);
    map.set(name, set);
  };
  for (const [canonical, diminutives] of Object.entries(NICKNAMES)) {
    add(canonical, canonical);
    for (const d of diminutives) add(d, canonical);
  }
  return new Map([...map].map(([name, set]) => [name, [...set].sort()]));
})();

/**
 * The forms of a given name to compare: the name itself, then the canonical names it may be a
 * diminutive or variant spelling of, in alphabetical order (bob → bob, robert; kate → kate,
 * catherine, katherine; robert → robert). The input is folded first, so "Bob" and "bob" give the
 * same answer; an empty input gives none.
 */
export function canonicalGivenName(normalized: string): string[] {
  const name = foldText(normalized);
  if (name === '') return [];
  const canonical = CANONICAL.get(name) ?? [];
  return [name, ...canonical.filter((c) => c !== name)];
}

/**
 * Whether two given names may name the same person: equal after folding, sharing a canonical
 * form (Bob and Robert, Bobby and Rob, Liz and Beth), or one is a single letter that is the
 * initial of the other or of one of its canonical forms (J and James; R and Bob, for Robert).
 * Two different initials, or an empty name, never match.
 */
export function namesMayBeSame(a: string, b: string): boolean {
  const x = foldText(a);
  const y = foldText(b);
  if (x === '' || y === '') return false;
  if (x === y) return true;
  if (isInitial(x)) return canonicalGivenName(y).some((f) => f.startsWith(x));
  if (isInitial(y)) return canonicalGivenName(x).some((f) => f.startsWith(y));
  const forms = new Set(canonicalGivenName(x));
  return canonicalGivenName(y).some((f) => forms.has(f));
}

const isInitial = (name: string) => [...name].length === 1;
