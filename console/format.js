// Turning API values into text: times, numbers, percentages, lists, and field labels.

export const DASH = '—';

/** True for values shown as "—": missing, null, empty text, empty list or empty object. */
export function isBlank(value) {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// ISO 8601 with a zone, or ClickHouse's text form "2026-02-01 12:00:00.000" (UTC).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function looksLikeTime(value) {
  return typeof value === 'string' && (DATE_ONLY.test(value) || DATE_TIME.test(value));
}

/** A Date of an API time, or null. Times without a zone are UTC. */
export function parseTime(value) {
  if (typeof value !== 'string' || !DATE_TIME.test(value)) return null;
  let iso = value.replace(' ', 'T');
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += 'Z';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shortTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "3 Dec 2026, 14:05" in the reader's zone; a date without a time stays as it is. */
export function formatTime(value) {
  if (isBlank(value)) return DASH;
  if (typeof value === 'string' && DATE_ONLY.test(value)) return value;
  const date = parseTime(value);
  return date ? timeFormat.format(date) : String(value);
}

export function formatClock(date) {
  return shortTime.format(date);
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const moneyFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return isBlank(value) ? DASH : String(value);
  return numberFormat.format(value);
}

export function formatMoney(value, currency) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return isBlank(value) ? DASH : String(value);
  const text = moneyFormat.format(value);
  return currency ? `${text} ${currency}` : text;
}

/** 0.234 -> "23.4%". */
export function formatPercent(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return isBlank(value) ? DASH : String(value);
  return `${(value * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;
}

/** Any scalar as text. */
export function formatScalar(value) {
  if (isBlank(value)) return DASH;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return formatNumber(value);
  if (looksLikeTime(value)) return formatTime(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Whole years since a date of birth (YYYY-MM-DD...), or null. */
export function ageFrom(dateOfBirth, now = new Date()) {
  const match = typeof dateOfBirth === 'string' && /^(\d{4})-(\d{2})-(\d{2})/.exec(dateOfBirth);
  if (!match) return null;
  const [, y, m, d] = match.map(Number);
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age >= 0 && age < 150 ? age : null;
}

/** "orders_count" -> "Orders count", unless a label is given. */
export function humanize(name) {
  const text = String(name).replace(/[_.]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function plural(n, one, many = `${one}s`) {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** A short line from an event's properties: a few scalar values, never the whole object. */
export function summarizeProperties(properties, max = 4) {
  if (!properties || typeof properties !== 'object') return '';
  const parts = [];
  for (const [key, value] of Object.entries(properties)) {
    if (parts.length >= max) break;
    if (isBlank(value)) continue;
    if (Array.isArray(value)) parts.push(`${humanize(key)}: ${plural(value.length, 'item')}`);
    else if (typeof value === 'object') continue;
    else parts.push(`${humanize(key)}: ${formatScalar(value)}`);
  }
  return parts.join(' · ');
}

/** The name to show for a profile-like object. */
export function displayName(p) {
  if (!p) return 'Unknown customer';
  const traits = p.traits || {};
  const full = p.full_name || traits.full_name
    || [p.first_name ?? traits.first_name, p.last_name ?? traits.last_name].filter(Boolean).join(' ');
  return full || 'Name not known';
}
