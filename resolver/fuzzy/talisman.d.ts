// Types of the talisman modules the matcher uses (the package ships none).
declare module 'talisman/metrics/jaro-winkler.js' {
  const jaroWinkler: (a: string, b: string) => number;
  export default jaroWinkler;
}
declare module 'talisman/phonetics/double-metaphone.js' {
  const doubleMetaphone: (word: string) => [string, string];
  export default doubleMetaphone;
}
declare module 'talisman/metrics/damerau-levenshtein.js' {
  /** Edits between a and b, a swap of neighbours counting as one. */
  export default function damerauLevenshtein(a: string, b: string): number;
}
