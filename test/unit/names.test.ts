import { describe, expect, it } from 'vitest';
import {
  canonicalGivenName,
  nameTokens,
  namesMayBeSame,
  normalizeCity,
  normalizeName,
  splitFullName,
  NICKNAMES,
} from '../../resolver/normalize.ts';
import { foldText } from '../../resolver/names/fold.ts';

describe('normalizeName', () => {
  it.each([
    // accents and letters Unicode does not decompose
    ['José Müller', 'jose muller'],
    ['Zoë Saldaña', 'zoe saldana'],
    ['François Ñúñez', 'francois nunez'],
    ['Straße', 'strasse'],
    ['STRASSE', 'strasse'],
    ['Søren Kierkegaard', 'soren kierkegaard'],
    ['Ærøskøbing', 'aeroskobing'],
    ['Łukasz Wałęsa', 'lukasz walesa'],
    ['Œuvre', 'oeuvre'],
    ['Đorđe', 'dorde'],
    ['Þór', 'thor'],
    // Turkish dotted and dotless I: every spelling folds to i
    ['İSMAİL', 'ismail'],
    ['Işık', 'isik'],
    ['ISIK', 'isik'],
    ['Çağlar Gökçe', 'caglar gokce'],
    // decomposed input gives the same value as composed
    ['Jose\u0301', 'jose'],
    // compatibility forms: full-width letters, ligatures
    ['Ｊｏｈｎ', 'john'],
    ['ﬁona', 'fiona'],
    // apostrophes of every kind are removed
    ["O'Brien", 'obrien'],
    ['O’Brien', 'obrien'],
    ['O`Brien', 'obrien'],
    ['D´Angelo', 'dangelo'],
    ["N'Golo Kanté", 'ngolo kante'],
    // hyphens and other punctuation separate words
    ['Jean-Luc', 'jean luc'],
    ['Mary-Jane Smith-Jones', 'mary jane smith jones'],
    ['Jean–Luc', 'jean luc'],
    ['J.R.R. Tolkien', 'j r r tolkien'],
    ['Smith,John', 'smith john'],
    ['  Ann   Lee  ', 'ann lee'],
    ['\tAnn\nLee ', 'ann lee'],
    // digits and symbols are dropped
    ['John3 Smith!!', 'john smith'],
    ['Anna (Annie) Lee', 'anna annie lee'],
    // case
    ['McDONALD', 'mcdonald'],
    // other scripts keep their letters and marks
    ['ΟΔΥΣΣΈΑΣ', 'οδυσσεας'],
    ['Йосиф', 'йосиф'],
    ['김민준', '김민준'],
    ['がく', 'がく'],
    ['李小龙', '李小龙'],
  ])('%j → %j', (raw, value) => {
    const result = normalizeName(raw);
    expect(result).toEqual({ value, tokens: value.split(' ') });
  });

  it('keeps single letters: an initial is a name token', () => {
    expect(normalizeName('J')).toEqual({ value: 'j', tokens: ['j'] });
    expect(normalizeName('J. Smith')).toEqual({ value: 'j smith', tokens: ['j', 'smith'] });
    expect(normalizeName('A N')).toEqual({ value: 'a n', tokens: ['a', 'n'] });
  });

  it.each([
    'unknown',
    'UNKNOWN',
    'n/a',
    'N/A',
    'NA',
    'none',
    'null',
    'test',
    'Test Test',
    'Test Customer',
    'customer',
    'Guest',
    'guest user',
    'walk in',
    'Walk-In',
    'WALKIN',
    'Walk-in Customer',
    'cash',
    'Cash Sale',
    'Cash Customer',
    'anonymous',
    'Valued Customer',
    'xxx',
    'XXXX XXXX',
    'asdf',
    'Mr.',
    'Mrs',
  ])('rejects placeholder %j', (raw) => {
    expect(normalizeName(raw)).toEqual({ rejected: 'junk name' });
  });

  it.each(['Johnny Cash', 'Christopher Guest', 'Anna Test', 'Guest Smith'])('keeps %j: one word is not a placeholder', (raw) => {
    expect(normalizeName(raw)).toHaveProperty('value');
  });

  it.each(['', '   ', '123', '--', "'", '!!!'])('rejects %j as empty', (raw) => {
    expect(normalizeName(raw)).toEqual({ rejected: 'empty name' });
  });

  it('rejects a name longer than 256 characters', () => {
    expect(normalizeName('a'.repeat(257))).toEqual({ rejected: 'name longer than 256 characters' });
  });

  it('gives the same value for every spelling of one name', () => {
    const spellings = ["Zoë O'Brien-Smith", 'ZOE OBRIEN SMITH', 'zoe  o’brien smith', 'Zoe\u0308 O`Brien–Smith'];
    const values = spellings.map((s) => normalizeName(s));
    for (const v of values) expect(v).toEqual(values[0]);
  });

  it('nameTokens gives the tokens, or none for a placeholder', () => {
    expect(nameTokens('Jean-Luc Picard')).toEqual(['jean', 'luc', 'picard']);
    expect(nameTokens('Unknown')).toEqual([]);
  });
});

describe('splitFullName', () => {
  it.each([
    ['John Smith', { first: 'john', last: 'smith', middle: [] }],
    ['John Paul Smith', { first: 'john', last: 'smith', middle: ['paul'] }],
    ['John P. Q. Smith', { first: 'john', last: 'smith', middle: ['p', 'q'] }],
    ['J.R.R. Tolkien', { first: 'j', last: 'tolkien', middle: ['r', 'r'] }],
    // family name first after a comma
    ['Smith, John', { first: 'john', last: 'smith', middle: [] }],
    ['Smith, John Jr.', { first: 'john', last: 'smith', middle: [] }],
    ['Smith, John, Jr.', { first: 'john', last: 'smith', middle: [] }],
    ['Smith Jr., John Paul', { first: 'john', last: 'smith', middle: ['paul'] }],
    ['SMITH, Dr. JOHN', { first: 'john', last: 'smith', middle: [] }],
    ['Smith,John', { first: 'john', last: 'smith', middle: [] }],
    ['van Gogh, Vincent', { first: 'vincent', last: 'van gogh', middle: [] }],
    ['Smith,', { first: null, last: 'smith', middle: [] }],
    [', John', { first: 'john', last: null, middle: [] }],
    // a comma before suffixes only keeps the natural order
    ['John Smith, Jr.', { first: 'john', last: 'smith', middle: [] }],
    ['Jane Doe, PhD', { first: 'jane', last: 'doe', middle: [] }],
    // titles and suffixes
    ['Mr. John Smith', { first: 'john', last: 'smith', middle: [] }],
    ['Mrs Jane Smith', { first: 'jane', last: 'smith', middle: [] }],
    ['Ms. Jane Smith', { first: 'jane', last: 'smith', middle: [] }],
    ['Dr Jane Smith', { first: 'jane', last: 'smith', middle: [] }],
    ['Prof. Dr. Hans Meier', { first: 'hans', last: 'meier', middle: [] }],
    ['John Smith Jr', { first: 'john', last: 'smith', middle: [] }],
    ['John Smith Sr.', { first: 'john', last: 'smith', middle: [] }],
    ['Henry Ford II', { first: 'henry', last: 'ford', middle: [] }],
    ['Thurston Howell III', { first: 'thurston', last: 'howell', middle: [] }],
    ['Dr. Jane A. Doe-Roe III', { first: 'jane', last: 'doe roe', middle: ['a'] }],
    // hyphens keep a name whole
    ['Jean-Luc Picard', { first: 'jean luc', last: 'picard', middle: [] }],
    ['Mary Smith-Jones', { first: 'mary', last: 'smith jones', middle: [] }],
    ['Anne-Marie Claire Dupont-Moreau', { first: 'anne marie', last: 'dupont moreau', middle: ['claire'] }],
    // apostrophes and accents
    ["Séan O'Brien", { first: 'sean', last: 'obrien', middle: [] }],
    ['İsmail Işık', { first: 'ismail', last: 'isik', middle: [] }],
    // surname particles
    ['Ludwig van Beethoven', { first: 'ludwig', last: 'van beethoven', middle: [] }],
    ['Maria de la Cruz', { first: 'maria', last: 'de la cruz', middle: [] }],
    ['Anna Maria dos Santos', { first: 'anna', last: 'dos santos', middle: ['maria'] }],
    // one name
    ['Madonna', { first: 'madonna', last: null, middle: [] }],
    ['Mr Smith', { first: null, last: 'smith', middle: [] }],
    ['Mrs. J. Smith', { first: 'j', last: 'smith', middle: [] }],
    // placeholders and empty values
    ['Unknown', { first: null, last: null, middle: [] }],
    ['Walk-in Customer', { first: null, last: null, middle: [] }],
    ['', { first: null, last: null, middle: [] }],
    [' , ', { first: null, last: null, middle: [] }],
    ['Mr.', { first: null, last: null, middle: [] }],
  ])('%j', (raw, expected) => {
    expect(splitFullName(raw)).toEqual(expected);
  });
});

describe('canonicalGivenName', () => {
  it.each([
    ['bob', ['bob', 'robert']],
    ['bobby', ['bobby', 'robert']],
    ['rob', ['rob', 'robert']],
    ['bill', ['bill', 'william']],
    ['billy', ['billy', 'william']],
    ['liz', ['liz', 'elizabeth']],
    ['beth', ['beth', 'elizabeth']],
    ['betty', ['betty', 'elizabeth']],
    ['peggy', ['peggy', 'margaret']],
    ['jim', ['jim', 'james']],
    ['jimmy', ['jimmy', 'james']],
    ['kate', ['kate', 'catherine', 'katherine', 'kathryn']],
    ['katie', ['katie', 'catherine', 'katherine', 'kathryn']],
    ['dick', ['dick', 'richard']],
    ['jack', ['jack', 'john']],
    ['ted', ['ted', 'edward', 'theodore']],
    ['al', ['al', 'alan', 'albert', 'alexander', 'alfred']],
    ['sandy', ['sandy', 'alexander', 'alexandra', 'cassandra', 'sandra']],
    // a canonical name maps to itself, plus the names it is a variant spelling of
    ['robert', ['robert']],
    ['william', ['william']],
    ['katherine', ['katherine', 'catherine']],
    // a name not in the table maps to itself
    ['zebedee', ['zebedee']],
    ['jean luc', ['jean luc']],
  ])('%j → %j', (name, forms) => {
    expect(canonicalGivenName(name)).toEqual(forms);
  });

  it('folds its input', () => {
    expect(canonicalGivenName('Bob')).toEqual(['bob', 'robert']);
    expect(canonicalGivenName(' BÉTH ')).toEqual(['beth', 'elizabeth']);
    expect(canonicalGivenName('')).toEqual([]);
  });

  it('the table is folded: every entry is a lower-case name that folds to itself', () => {
    const all = Object.entries(NICKNAMES).flatMap(([canonical, diminutives]) => [canonical, ...diminutives]);
    expect(all.length).toBeGreaterThan(500);
    for (const name of all) {
      expect(name).toMatch(/^[a-z]+( [a-z]+)*$/);
      expect(foldText(name)).toBe(name);
    }
    for (const [canonical, diminutives] of Object.entries(NICKNAMES)) {
      expect(diminutives, canonical).not.toContain(canonical);
      expect(new Set(diminutives).size, canonical).toBe(diminutives.length);
    }
  });
});

describe('namesMayBeSame', () => {
  it.each([
    ['Bob', 'Robert'],
    ['bobby', 'rob'],
    ['Robert', 'ROBERT'],
    ['Liz', 'Elizabeth'],
    ['liz', 'beth'],
    ['Betty', 'Elizabeth'],
    ['Peggy', 'Margaret'],
    ['Jim', 'James'],
    ['Jimmy', 'Jim'],
    ['Bill', 'William'],
    ['Kate', 'Katherine'],
    ['Kate', 'Catherine'],
    ['Catherine', 'Katherine'],
    ['José', 'Jose'],
    // an initial and a name it may stand for
    ['J', 'James'],
    ['james', 'J.'],
    ['R', 'Bob'],
    ['j', 'j'],
  ])('%j and %j may be the same person', (a, b) => {
    expect(namesMayBeSame(a, b)).toBe(true);
    expect(namesMayBeSame(b, a)).toBe(true);
  });

  it.each([
    ['Bob', 'William'],
    ['Robert', 'Roberta'],
    ['John', 'Jane'],
    ['J', 'K'],
    ['K', 'James'],
    ['', ''],
    ['', 'John'],
    ['...', 'John'],
  ])('%j and %j are not the same', (a, b) => {
    expect(namesMayBeSame(a, b)).toBe(false);
    expect(namesMayBeSame(b, a)).toBe(false);
  });
});

describe('normalizeCity', () => {
  it.each([
    ['São Paulo', 'sao paulo'],
    ['SAO PAULO', 'sao paulo'],
    ['Zürich', 'zurich'],
    ['Saint-Étienne', 'saint etienne'],
    ["L'Aquila", 'laquila'],
    ['Kraków', 'krakow'],
    ['İstanbul', 'istanbul'],
    ['  New   York ', 'new york'],
    // digits are kept: a district is part of the place
    ['Paris 16', 'paris 16'],
    // abbreviations are not expanded
    ['St. Louis', 'st louis'],
    ['Saint Louis', 'saint louis'],
  ])('%j → %j', (raw, value) => {
    expect(normalizeCity(raw)).toEqual({ value });
  });

  it.each([
    ['', 'empty city'],
    [' - ', 'empty city'],
    ['Unknown', 'junk city'],
    ['N/A', 'junk city'],
    ['12345', 'junk city'],
    ['test', 'junk city'],
  ])('rejects %j (%s)', (raw, reason) => {
    expect(normalizeCity(raw)).toEqual({ rejected: reason });
  });
});
