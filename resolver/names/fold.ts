/**
 * Folding of free text (names, cities) to a form two spellings of one value share:
 *
 * - letters that Unicode does not decompose are spelled out first: ß → ss, æ → ae, œ → oe,
 *   ø → o, ł → l, đ and ð → d, þ → th, dotless ı → i (and their capitals);
 * - NFKD, then the combining marks on Latin and Greek letters are dropped (é → e, ñ → n,
 *   Turkish İ → i, ά → α). Marks on other scripts are kept (й stays й, が stays が), and
 *   the result is brought back to NFC so Hangul and other composed scripts stay composed;
 * - lower case (locale independent, so I → i whatever the server's locale);
 * - apostrophes of every kind are removed, joining the letters on both sides (O'Brien → obrien,
 *   D’Angelo → dangelo);
 * - every other character that is not a letter (hyphens, dots, commas, slashes, symbols, and
 *   digits unless kept) becomes a space (Jean-Luc → jean luc, J.R. → j r);
 * - runs of spaces collapse to one, and the ends are trimmed.
 */

const SPELLED_OUT: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  ø: 'o',
  Ø: 'o',
  ł: 'l',
  Ł: 'l',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  Ð: 'd',
  þ: 'th',
  Þ: 'th',
  ı: 'i',
  ħ: 'h',
  Ħ: 'h',
  ŧ: 't',
  Ŧ: 't',
};
const SPELLED_OUT_PATTERN = new RegExp(`[${Object.keys(SPELLED_OUT).join('')}]`, 'gu');

/** Apostrophes, primes and the accents people type in their place (´ and ` standing alone). */
const APOSTROPHES = /['\u2018\u2019\u201B\u02BC\u02BB\u02B9\u2032\u00B4\u0060\uFF07]/gu;

const LATIN_OR_GREEK_MARKS = /([\p{Script=Latin}\p{Script=Greek}])\p{M}+/gu;

export interface FoldOptions {
  /** Keep digits as part of the text (cities); by default they become spaces (names). */
  keepDigits?: boolean;
}

const NOT_LETTERS = /[^\p{L}\p{M}]+/gu;
const NOT_LETTERS_OR_DIGITS = /[^\p{L}\p{M}\p{Nd}]+/gu;

export function foldText(raw: string, options: FoldOptions = {}): string {
  const separators = options.keepDigits ? NOT_LETTERS_OR_DIGITS : NOT_LETTERS;
  return raw
    .normalize('NFC')
    .replace(APOSTROPHES, '')
    .replace(SPELLED_OUT_PATTERN, (c) => SPELLED_OUT[c] ?? c)
    .normalize('NFKD')
    .replace(LATIN_OR_GREEK_MARKS, '$1')
    .toLowerCase()
    .replace(LATIN_OR_GREEK_MARKS, '$1')
    .normalize('NFC')
    .replace(separators, ' ')
    .trim();
}
