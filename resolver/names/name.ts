/**
 * Person names: folding to a comparable form, rejection of placeholders typed where a name
 * belongs, and the split of a full name into given, middle and family names.
 */
import { foldText } from './fold.ts';

export type NormalizedName = { value: string; tokens: string[] } | { rejected: string };

/** Longest name kept, in characters of the raw value. */
export const MAX_NAME_LENGTH = 256;

/**
 * Whole values (after folding) that are placeholders, never a person's name. Single letters are
 * not here: an initial is a name token.
 */
export const JUNK_NAMES: ReadonlySet<string> = new Set([
  'unknown',
  'n a',
  'na',
  'none',
  'null',
  'nil',
  'undefined',
  'test',
  'testing',
  'customer',
  'client',
  'guest',
  'walk in',
  'walkin',
  'cash',
  'anonymous',
  'anon',
  'no name',
  'noname',
  'not provided',
  'not given',
  'unnamed',
  'name',
  'first name',
  'last name',
  'firstname',
  'lastname',
  'asdf',
  'qwerty',
  'sample',
  'dummy',
  'fake',
  'void',
  'refused',
  'declined',
]);

/**
 * Words that, when every word of a value is one of them, make it a placeholder too ("Test
 * Customer", "Cash Sale", "Walk-In Guest"). A real name has at least one word outside this set, so
 * "Johnny Cash" or "Christopher Guest" are names.
 */
const JUNK_WORDS: ReadonlySet<string> = new Set([
  'unknown',
  'test',
  'testing',
  'customer',
  'customers',
  'client',
  'guest',
  'walk',
  'in',
  'walkin',
  'cash',
  'sale',
  'anonymous',
  'anon',
  'user',
  'valued',
  'store',
  'shop',
  'pos',
  'default',
  'dummy',
  'sample',
  'fake',
  'null',
  'none',
  'na',
]);

/** A single letter typed three or more times ("xxx", "aaaa"). */
const REPEATED_LETTER = /^(\p{L})\1{2,}$/u;

export function normalizeName(raw: string): NormalizedName {
  if (raw.length > MAX_NAME_LENGTH) return { rejected: `name longer than ${MAX_NAME_LENGTH} characters` };
  const value = foldText(raw);
  if (value === '') return { rejected: 'empty name' };
  const tokens = value.split(' ');
  if (isJunk(value, tokens)) return { rejected: 'junk name' };
  return { value, tokens };
}

/** The tokens of a name, or none when it is rejected. */
export function nameTokens(raw: string): string[] {
  const result = normalizeName(raw);
  return 'value' in result ? result.tokens : [];
}

function isJunk(value: string, tokens: string[]): boolean {
  if (JUNK_NAMES.has(value)) return true;
  if (tokens.every((t) => REPEATED_LETTER.test(t))) return true;
  // A title alone ("Mr", "Mrs.") names nobody.
  if (tokens.every((t) => NAME_TITLES.has(t))) return true;
  // Every word a placeholder word; a lone initial ("a", "n") is a name, so one word is not enough.
  return tokens.length > 1 && tokens.every((t) => JUNK_WORDS.has(t));
}

/** Titles dropped from the start of a full name (folded, so "Dr." is "dr"). */
export const NAME_TITLES: ReadonlySet<string> = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'professor', 'sir', 'dame', 'rev', 'fr']);

/** Suffixes dropped from the end of a full name or of its family-name part. */
export const NAME_SUFFIXES: ReadonlySet<string> = new Set(['jr', 'junior', 'sr', 'senior', 'ii', 'iii', 'iv', 'phd', 'md', 'esq', 'dds']);

/**
 * Words that belong to the family name that follows them (Ludwig van Beethoven, Maria de la
 * Cruz), when they stand between the given name and the last word.
 */
export const SURNAME_PARTICLES: ReadonlySet<string> = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'del',
  'della',
  'dela',
  'di',
  'da',
  'dos',
  'das',
  'du',
  'la',
  'le',
  'ter',
  'ten',
  'bin',
  'ibn',
  'ap',
]);

export interface FullName {
  first: string | null;
  last: string | null;
  middle: string[];
}

/**
 * Splits a full name into its given name (first), middle names and family name (last), each
 * folded like `normalizeName`. Words are separated by spaces and dots; a hyphen keeps its
 * parts in one name (Jean-Luc → "jean luc", Smith-Jones → "smith jones").
 *
 * - "Last, First Middle": the part before the comma is the family name. A comma before
 *   suffixes only ("John Smith, Jr.") does not change the order.
 * - Titles at the start (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, ...) and suffixes at the end (Jr, Sr,
 *   II, III, IV, PhD, ...) are dropped.
 * - Without a comma the first word is the given name, the last word the family name, with the
 *   particles before it (van, de la, ...), and the words between are middle names.
 * - One word is a given name ("Madonna"), unless a title stood before it ("Mr Smith"): then it
 *   is the family name.
 * - Initials are kept as one-letter names. A name rejected by `normalizeName` gives nulls.
 */
export function splitFullName(raw: string): FullName {
  const none: FullName = { first: null, last: null, middle: [] };
  if (raw.length > MAX_NAME_LENGTH || !('value' in normalizeName(raw))) return none;

  const [head = [], ...rest] = raw.split(',').map(words);
  const afterComma = rest.flat();
  // No comma, or "John Smith, Jr." and "John Smith, PhD": only suffixes after the comma.
  if (rest.length === 0 || (afterComma.length > 0 && afterComma.every((w) => NAME_SUFFIXES.has(w)))) {
    return fromNaturalOrder([...head, ...afterComma]);
  }
  // "Smith, John Jr." / "Smith Jr., Dr. John": family name first.
  const family = dropSuffixes(dropTitles(head).words);
  const given = dropSuffixes(dropTitles(afterComma).words);
  const last = family.length > 0 ? family.join(' ') : null;
  const [first = null, ...middle] = given;
  if (first === null && last === null) return none;
  return { first, last, middle };
}

function fromNaturalOrder(ws: string[]): FullName {
  const { words: untitled, titled } = dropTitles(ws);
  const names = dropSuffixes(untitled);
  if (names.length === 0) return { first: null, last: null, middle: [] };
  if (names.length === 1) {
    const only = names[0] ?? null;
    return titled ? { first: null, last: only, middle: [] } : { first: only, last: null, middle: [] };
  }
  // The family name starts at the last word, or earlier at a run of particles before it.
  let start = names.length - 1;
  while (start > 1 && SURNAME_PARTICLES.has(names[start - 1] ?? '')) start--;
  const [first = null, ...middle] = names.slice(0, start);
  return { first, last: names.slice(start).join(' '), middle };
}

/** The folded words of a part of a name: split on spaces and dots; hyphens stay inside a word. */
function words(part: string): string[] {
  return part
    .split(/[\s.]+/u)
    .map((w) => foldText(w))
    .filter((w) => w !== '');
}

function dropTitles(ws: string[]): { words: string[]; titled: boolean } {
  let i = 0;
  while (i < ws.length && NAME_TITLES.has(ws[i] ?? '')) i++;
  return { words: ws.slice(i), titled: i > 0 };
}

function dropSuffixes(ws: string[]): string[] {
  let end = ws.length;
  while (end > 1 && NAME_SUFFIXES.has(ws[end - 1] ?? '')) end--;
  return ws.slice(0, end);
}
