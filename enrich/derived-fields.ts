/**
 * The Customer 360 fields derived in TypeScript, and the constants the derivations in SQL
 * (aggregate-fields.ts) take as query parameters. Pure functions: no engine, no clock of their
 * own (`now` is always given), tested on hand-made cases in test/unit/derived-fields.test.ts.
 *
 * - `ageOf`: the age from the trait `date_of_birth`, which may be partial (see below). Here and
 *   not in SQL because the rule for partial and impossible dates reads plainly in code and is
 *   tested without an engine; enrich reads the trait through the profiles table beside the
 *   events, so the age is stored with the other aggregates and refreshed by the schedule.
 * - `sourceRanking`: the tenant's source priority, completed with the sources it leaves out, as
 *   primary_source reads it (the first source of the ranking the profile has events from).
 * - `CURRENCY_DIVISORS`: minor units per major unit of the currencies that do not have 100, so
 *   line items (in minor units) count in major units like order amounts do.
 */
import { CONSENT_CHANNELS } from '../schemas/consent-scopes.ts';
import { minorUnitsPerMajor } from '../schemas/from-json.ts';
import { SOURCES, type Source } from '../schemas/types.ts';

/**
 * The ranking of systems of record without a tenant setting: the CRM, then the point of sale,
 * then messaging, then web tracking. The same default as the tenant settings'
 * (resolver/graph-store.ts DEFAULT_SOURCE_PRIORITY; a unit test checks they agree).
 */
export const DEFAULT_SOURCE_PRIORITY: readonly Source[] = Object.freeze(['crm', 'pos', 'messaging', 'web']);

/**
 * Every source, most trusted first: those of `priority` in its order (unknown names and repeats
 * dropped), then those it leaves out in the default order. Null or empty: the default.
 */
export function sourceRanking(priority: readonly string[] | null | undefined): Source[] {
  const known = (priority ?? []).filter((s): s is Source => (SOURCES as readonly string[]).includes(s));
  return [...new Set([...known, ...DEFAULT_SOURCE_PRIORITY])];
}

/** The marketing channels (email, sms, push, whatsapp), in the order that breaks ties of preferred_channel. */
export const MARKETING_CHANNELS: readonly string[] = CONSENT_CHANNELS;

/** Minor units per major unit of every currency that has not 100 (JPY 1, KWD 1,000, ...). */
export const CURRENCY_DIVISORS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    Intl.supportedValuesOf('currency')
      .map((currency) => [currency, minorUnitsPerMajor(currency)] as const)
      .filter(([, divisor]) => divisor !== 100),
  ),
);

/** The earliest year a date of birth may have: the range of times segment rules can name. */
export const MIN_BIRTH_YEAR = 1900;

const DATE_OF_BIRTH = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ].*)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Whole years the person is old on the (UTC) day of `now`, from a date of birth that may be
 * partial, or null when it says nothing certain. The rule is conservative: the age the person
 * has at least, counted from the latest day the date allows.
 *
 * - `YYYY-MM-DD` (a time after it, `1990-05-17T00:00:00Z`, is ignored): exact. A birthday on
 *   February 29 is reached on March 1 in years without one.
 * - `YYYY-MM`: from the last day of that month (born on the 1st or the 31st, the person is at
 *   least this old); counting from the first would overstate it by up to a year for anyone born
 *   later in the month.
 * - `YYYY`: from December 31 of that year, likewise.
 * - When the earliest day the date allows is after today, null (a date in the future); when only
 *   its latest day is (born this month or year, maybe not yet a year old), 0.
 * - Anything else is null: an empty or unparseable text (`17/05/1990`, `1990-13`, `1990-02-30`,
 *   `May 1990`), or a year before 1900.
 */
export function ageOf(dateOfBirth: string | null | undefined, now: Date): number | null {
  const m = DATE_OF_BIRTH.exec((dateOfBirth ?? '').trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = m[2] === undefined ? null : Number(m[2]);
  const day = m[3] === undefined ? null : Number(m[3]);
  if (year < MIN_BIRTH_YEAR || (month !== null && (month < 1 || month > 12))) return null;
  if (month !== null && day !== null && (day < 1 || day > daysIn(year, month))) return null;
  // The earliest and the latest day the date allows, as [year, month, day].
  const earliest = [year, month ?? 1, day ?? 1] as const;
  const latestMonth = month ?? 12;
  const latest = [year, latestMonth, day ?? daysIn(year, latestMonth)] as const;
  const today = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()] as const;
  const after = (a: readonly number[], b: readonly number[]) => a[0]! > b[0]! || (a[0] === b[0] && (a[1]! > b[1]! || (a[1] === b[1] && a[2]! > b[2]!)));
  if (after(earliest, today)) return null;
  if (after(latest, today)) return 0;
  const birthdayPassed = today[1] > latest[1] || (today[1] === latest[1] && today[2] >= latest[2]);
  return today[0] - latest[0] - (birthdayPassed ? 0 : 1);
}
