/**
 * Normalization of identifiers before matching: emails trimmed, NFC and lower-cased; phones
 * to E.164 with libphonenumber-js; junk values that must never be merge keys rejected.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

const JUNK_EMAIL_LOCALS = new Set(['test', 'none', 'noemail', 'no-email', 'nomail', 'null', 'unknown', 'na', 'n/a', 'example', 'asdf', 'email', 'noreply', 'no-reply']);
const JUNK_EMAIL_DOMAINS = new Set(['example.com', 'example.org', 'example.net', 'test.com', 'email.com', 'none.com', 'noemail.com', 'domain.com', 'mailinator.com']);
const JUNK_VALUES = new Set(['', 'null', 'undefined', 'unknown', 'none', 'n/a', 'na', '-', '0', 'test']);
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

export type Normalized = { value: string } | { rejected: string };

export function normalizeEmail(raw: string): Normalized {
  const value = raw.normalize('NFC').trim().toLowerCase();
  if (!EMAIL_SHAPE.test(value)) return { rejected: 'not an email address' };
  const [local, domain] = value.split('@') as [string, string];
  if (JUNK_EMAIL_LOCALS.has(local) || JUNK_EMAIL_DOMAINS.has(domain)) return { rejected: 'junk email' };
  return { value };
}

export function normalizePhone(raw: string, defaultRegion: string): Normalized {
  const phone = parsePhoneNumberFromString(raw.trim(), { defaultCountry: defaultRegion as CountryCode });
  if (!phone || !phone.isValid()) return { rejected: 'not a valid phone number' };
  const national = phone.nationalNumber;
  if (/^(\d)\1+$/.test(national) || national === '1234567890' || national === '123456789') return { rejected: 'junk phone' };
  return { value: phone.number };
}

/** IDs of other systems: trimmed; placeholder values rejected. */
export function normalizeId(raw: string): Normalized {
  const value = raw.normalize('NFC').trim();
  if (JUNK_VALUES.has(value.toLowerCase())) return { rejected: 'junk identifier' };
  if (value.length > 256) return { rejected: 'identifier longer than 256 characters' };
  return { value };
}
