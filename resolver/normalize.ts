/**
 * Normalization before matching. Identifiers (merge keys): emails trimmed, NFC and lower-cased,
 * optionally with the rules of well-known mailbox providers; phones to E.164 with
 * libphonenumber-js; IDs of other systems trimmed. Fuzzy evidence: names (resolver/names/),
 * dates of birth, postcodes and cities. Junk values that must never be merge keys or evidence
 * are rejected with a reason.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { foldText } from './names/fold.ts';

export { normalizeName, nameTokens, splitFullName, JUNK_NAMES, NAME_TITLES, NAME_SUFFIXES, SURNAME_PARTICLES } from './names/name.ts';
export type { NormalizedName, FullName } from './names/name.ts';
export { canonicalGivenName, namesMayBeSame } from './names/given-name.ts';
export { NICKNAMES } from './names/nicknames.ts';

const JUNK_EMAIL_LOCALS = new Set(['test', 'none', 'noemail', 'no-email', 'nomail', 'null', 'unknown', 'na', 'n/a', 'example', 'asdf', 'email', 'noreply', 'no-reply']);
const JUNK_EMAIL_DOMAINS = new Set(['example.com', 'example.org', 'example.net', 'test.com', 'email.com', 'none.com', 'noemail.com', 'domain.com', 'mailinator.com']);
const JUNK_VALUES = new Set(['', 'null', 'undefined', 'unknown', 'none', 'n/a', 'na', '-', '0', 'test']);
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

export type Normalized = { value: string } | { rejected: string };

/**
 * How a mailbox provider reads the local part of its addresses, so that the spellings of one
 * mailbox give one key. Only rules the providers document are here:
 *
 * - Google Mail ignores dots in the local part and delivers `name+anything` to `name`;
 *   googlemail.com is the same service as gmail.com (the UK and Germany used it).
 * - Microsoft Outlook.com (outlook.com, hotmail.com, live.com) delivers `name+anything` to
 *   `name`; dots are significant there.
 * - Apple iCloud Mail (icloud.com, me.com, mac.com) delivers `name+anything` to `name`; dots
 *   are significant. The three domains are not mapped to one another: only some accounts hold
 *   all three.
 * - Proton Mail (protonmail.com, proton.me, pm.me) and Fastmail (fastmail.com) deliver
 *   `name+anything` to `name`.
 *
 * Left out on purpose: Yahoo Mail's disposable addresses (`base-keyword`) use a base name the
 * user picks that is not the account's own name, so cutting at `-` would join different
 * mailboxes; and providers whose rules are not documented. Rules shorten keys, and a wrong
 * rule would merge different people, so an unlisted domain keeps its local part as typed.
 */
export interface EmailProviderRule {
  provider: string;
  domains: readonly string[];
  /** The domain every address of the provider is written with, when its domains are one service. */
  canonicalDomain?: string;
  /** Dots in the local part are ignored. */
  dropDots: boolean;
  /** `+` and everything after it in the local part are ignored (sub-addressing). */
  dropPlusTag: boolean;
}

export const EMAIL_PROVIDER_RULES: readonly EmailProviderRule[] = [
  { provider: 'Google Mail', domains: ['gmail.com', 'googlemail.com'], canonicalDomain: 'gmail.com', dropDots: true, dropPlusTag: true },
  { provider: 'Microsoft Outlook.com', domains: ['outlook.com', 'hotmail.com', 'live.com'], dropDots: false, dropPlusTag: true },
  { provider: 'Apple iCloud Mail', domains: ['icloud.com', 'me.com', 'mac.com'], dropDots: false, dropPlusTag: true },
  { provider: 'Proton Mail', domains: ['protonmail.com', 'proton.me', 'pm.me'], dropDots: false, dropPlusTag: true },
  { provider: 'Fastmail', domains: ['fastmail.com'], dropDots: false, dropPlusTag: true },
];

const RULE_BY_DOMAIN = new Map(EMAIL_PROVIDER_RULES.flatMap((rule) => rule.domains.map((d) => [d, rule] as const)));

export interface EmailOptions {
  /**
   * Apply `EMAIL_PROVIDER_RULES` (dots and `+tags` of Google Mail, `+tags` of the others).
   * Default false: the address as typed, trimmed, NFC and lower-cased.
   */
  providerRules?: boolean;
  /**
   * Give the normalized value of a junk address (noemail@..., ...@example.com) instead of
   * rejecting it. For lists of values to block, never for merge keys. Default false.
   */
  keepJunk?: boolean;
}

export interface JunkOptions {
  /** Give the normalized value of a junk value instead of rejecting it (lists of values to block). */
  keepJunk?: boolean;
}

export function normalizeEmail(raw: string, options: EmailOptions = {}): Normalized {
  const value = raw.normalize('NFC').trim().toLowerCase();
  if (!EMAIL_SHAPE.test(value)) return { rejected: 'not an email address' };
  let [local, domain] = value.split('@') as [string, string];
  if (options.providerRules) {
    const rule = RULE_BY_DOMAIN.get(domain);
    if (rule) {
      if (rule.dropPlusTag) local = local.split('+')[0] ?? '';
      if (rule.dropDots) local = local.replaceAll('.', '');
      domain = rule.canonicalDomain ?? domain;
      if (local === '') return { rejected: 'not an email address' };
    }
  }
  if (!options.keepJunk && (JUNK_EMAIL_LOCALS.has(local) || JUNK_EMAIL_DOMAINS.has(domain))) return { rejected: 'junk email' };
  return { value: `${local}@${domain}` };
}

export function normalizePhone(raw: string, defaultRegion: string, options: JunkOptions = {}): Normalized {
  const phone = parsePhoneNumberFromString(raw.trim(), { defaultCountry: defaultRegion as CountryCode });
  if (!phone || !phone.isValid()) return { rejected: 'not a valid phone number' };
  const national = phone.nationalNumber;
  if (!options.keepJunk && (/^(\d)\1+$/.test(national) || national === '1234567890' || national === '123456789')) return { rejected: 'junk phone' };
  return { value: phone.number };
}

/** IDs of other systems: trimmed; placeholder values rejected. */
export function normalizeId(raw: string, options: JunkOptions = {}): Normalized {
  const value = raw.normalize('NFC').trim();
  if (JUNK_VALUES.has(value.toLowerCase()) && (!options.keepJunk || value === '')) return { rejected: 'junk identifier' };
  if (value.length > 256) return { rejected: 'identifier longer than 256 characters' };
  return { value };
}

export interface DateOfBirthOptions {
  /**
   * How to read a numeric date with the year last (01/02/1980): 'MDY' (US, the default) or
   * 'DMY' (most other countries). When only one reading is a calendar date (13/01/1980), that
   * one is taken whatever the order.
   */
  dateOrder?: 'DMY' | 'MDY';
  /** The day to judge "in the future" and "more than 130 years ago" by; now by default. */
  today?: Date;
}

/** Dates systems and people put where the date of birth is not known. */
const PLACEHOLDER_DATES = new Set(['1900-01-01', '1901-01-01', '1970-01-01']);
const MAX_AGE_YEARS = 130;

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10,
  nov: 11, november: 11, dec: 12, december: 12,
};

/** A time of day after a date, as exports from spreadsheets and databases write it. */
const TRAILING_TIME = /(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?\s*(?:z|[+-]\d{2}:?\d{2})?)$/i;

interface YMD {
  y: number;
  m: number;
  d: number;
}

/**
 * A date of birth as YYYY-MM-DD. Accepted: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD,
 * DD/MM/YYYY or MM/DD/YYYY (with /, . or -; see `dateOrder`), "12 Jan 1980", "12th January,
 * 1980", "Jan 12, 1980", "January 12 1980" (English month names, full or three letters), and
 * any of these followed by a time of day, as in ISO date-times (the date is taken as written,
 * without conversion between time zones).
 *
 * Rejected, with the reason: an unrecognised form; a two-digit year (01/02/80 could be 1880,
 * 1980 or 2080 within the accepted range); a date not on the calendar (Feb 30, Feb 29 of a year
 * that is not a leap year); the placeholders 1900-01-01, 1901-01-01, 1970-01-01 and the years
 * 0000 and 9999; a date after today (UTC); a date more than 130 years before today.
 */
export function normalizeDateOfBirth(raw: string, options: DateOfBirthOptions = {}): Normalized {
  const text = raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === '') return { rejected: 'empty date' };
  const parsed = parseDate(text.replace(TRAILING_TIME, '').trim(), options.dateOrder ?? 'MDY');
  if ('rejected' in parsed) return parsed;
  const { y, m, d } = parsed;
  const iso = `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
  if (y === 0 || y === 9999 || PLACEHOLDER_DATES.has(iso)) return { rejected: 'placeholder date' };
  if (!isCalendarDate(parsed)) return { rejected: 'not a calendar date' };
  const today = options.today ?? new Date();
  const todayIso = today.toISOString().slice(0, 10);
  if (iso > todayIso) return { rejected: 'date of birth in the future' };
  const oldest = `${String(today.getUTCFullYear() - MAX_AGE_YEARS).padStart(4, '0')}${todayIso.slice(4)}`;
  if (iso < oldest) return { rejected: `date of birth more than ${MAX_AGE_YEARS} years ago` };
  return { value: iso };
}

function parseDate(text: string, order: 'DMY' | 'MDY'): YMD | { rejected: string } {
  let match: RegExpMatchArray | null;
  // Year first: 1980-01-12, 1980/1/12, 1980.01.12, 19800112.
  if ((match = text.match(/^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/))) return ymd(match[1], match[3], match[4]);
  if ((match = text.match(/^(\d{4})(\d{2})(\d{2})$/))) return ymd(match[1], match[2], match[3]);
  // Year last, numeric: 12/01/1980, 1.12.1980, 01-12-1980.
  if ((match = text.match(/^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$/))) {
    const [a, b, y] = [Number(match[1]), Number(match[3]), Number(match[4])];
    const dmy: YMD = { y, m: b, d: a };
    const mdy: YMD = { y, m: a, d: b };
    const dmyValid = isCalendarDate(dmy);
    const mdyValid = isCalendarDate(mdy);
    if (dmyValid && !mdyValid) return dmy;
    if (mdyValid && !dmyValid) return mdy;
    return order === 'DMY' ? dmy : mdy;
  }
  if (/^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}$/.test(text)) return { rejected: 'two-digit year is ambiguous' };
  // Month names: 12 jan 1980, 12th january, 1980, 12-jan-1980, jan 12, 1980, january 12 1980.
  const words = text.replace(/[,.]/g, ' ').replace(/(\d)(st|nd|rd|th)\b/g, '$1').trim();
  if ((match = words.match(/^(\d{1,2})[ -]+([a-z]+)[ -]+(\d{2}|\d{4})$/))) return named(match[3], match[2], match[1]);
  if ((match = words.match(/^([a-z]+)[ -]+(\d{1,2})[ -]+(\d{2}|\d{4})$/))) return named(match[3], match[1], match[2]);
  return { rejected: 'not a recognised date' };
}

function named(year: string | undefined, month: string | undefined, day: string | undefined): YMD | { rejected: string } {
  const m = MONTHS[month ?? ''];
  if (m === undefined) return { rejected: 'not a recognised date' };
  if ((year ?? '').length === 2) return { rejected: 'two-digit year is ambiguous' };
  return { y: Number(year), m, d: Number(day) };
}

function ymd(y: string | undefined, m: string | undefined, d: string | undefined): YMD {
  return { y: Number(y), m: Number(m), d: Number(d) };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function isCalendarDate({ y, m, d }: YMD): boolean {
  if (!Number.isInteger(y) || m < 1 || m > 12 || d < 1) return false;
  const days = [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
  return d <= days;
}

/** Values typed where a postcode is not known. */
const JUNK_POSTCODES = new Set(['', 'NA', 'N/A', 'NONE', 'NULL', 'UNKNOWN', 'TBC', 'TBA', '-']);
/** A UK postcode without its space: outward code (2 to 4 characters), inward code (digit, two letters). */
const UK_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/;
/** A Canadian postal code without its space: A1A 1A1. */
const CA_POSTCODE = /^([A-Z]\d[A-Z])(\d[A-Z]\d)$/;

/**
 * A postcode trimmed, upper-cased, with runs of spaces collapsed to one. With `country` (ISO
 * 3166 alpha-2; "UK" is read as GB) some forms are written one way:
 *
 * - GB (and, without a country, any value in the UK shape): the single space before the inward
 *   code, whether it was typed or not (sw1a1aa → SW1A 1AA).
 * - CA: the space in the middle (k1a0b1 → K1A 0B1).
 * - US: ZIP+4 with its hyphen (941051234 → 94105-1234).
 * - NL: four digits, a space, two letters (1234ab → 1234 AB).
 *
 * Rejected: placeholders (N/A, unknown, all zeros), characters other than letters, digits,
 * spaces and hyphens, and values longer than 12 characters.
 */
export function normalizePostcode(raw: string, country?: string): Normalized {
  const value = raw.normalize('NFKC').trim().toUpperCase().replace(/\s+/g, ' ');
  if (JUNK_POSTCODES.has(value) || /^[0 -]+$/.test(value) || /^(.)\1+$/.test(value.replace(/[ -]/g, ''))) {
    return { rejected: 'junk postcode' };
  }
  if (value.length > 12 || !/^[A-Z0-9][A-Z0-9 -]*$/.test(value)) return { rejected: 'not a postcode' };
  const compact = value.replace(/[ -]/g, '');
  const code = country?.trim().toUpperCase();
  const match = (pattern: RegExp) => compact.match(pattern);
  let m: RegExpMatchArray | null;
  if ((code === 'GB' || code === 'UK' || code === undefined) && (m = match(UK_POSTCODE))) return { value: `${m[1]} ${m[2]}` };
  if (code === 'CA' && (m = match(CA_POSTCODE))) return { value: `${m[1]} ${m[2]}` };
  if (code === 'US' && (m = match(/^(\d{5})(\d{4})?$/))) return { value: m[2] ? `${m[1]}-${m[2]}` : (m[1] ?? compact) };
  if (code === 'NL' && (m = match(/^(\d{4})([A-Z]{2})$/))) return { value: `${m[1]} ${m[2]}` };
  return { value };
}

/** Values typed where a city is not known. */
const JUNK_CITIES = new Set(['unknown', 'n a', 'na', 'none', 'null', 'undefined', 'test', 'city', 'tbc', 'tba']);

/**
 * A city folded like a name (accents, case, punctuation, apostrophes; see `foldText`) but
 * keeping digits (Paris 16 is a district). Abbreviations are not expanded: "St. Louis" gives
 * "st louis" and "Saint Louis" gives "saint louis", so a comparison that should treat them as
 * one place has to do so itself. Placeholders are rejected.
 */
export function normalizeCity(raw: string): Normalized {
  if (raw.length > 256) return { rejected: 'city longer than 256 characters' };
  const value = foldText(raw, { keepDigits: true });
  if (value === '') return { rejected: 'empty city' };
  if (JUNK_CITIES.has(value) || /^\d+$/.test(value.replace(/ /g, ''))) return { rejected: 'junk city' };
  return { value };
}
