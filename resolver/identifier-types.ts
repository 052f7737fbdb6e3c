/**
 * The identifier types, in one table: how each is normalized, the confidence of a link by it
 * alone, its strength, whether tenants may let profiles share it, its longest value and whether
 * its values belong to a source system. The code that reads an event's identity, the match
 * rules, the blocklist and the API's profile lookup all derive what they need from here.
 */
import type { Identity } from '../schemas/types.ts';
import { IDENTIFIER_MAX_LENGTH, PHONE_MAX_LENGTH } from '../schemas/event-rules.ts';
import { normalizeEmail, normalizeId, normalizePhone, type Normalized } from './normalize.ts';

export interface NormalizeOptions {
  /** The region phone numbers written without a country code are read in. */
  region: string;
  /** Apply the email provider rules (resolver/normalize.ts). Default false. */
  providerRules?: boolean;
  /** Give the normalized value of a junk value instead of rejecting it: lists of values to block, never merge keys. */
  keepJunk?: boolean;
}

export interface IdentifierTypeSpec {
  normalize(raw: string, options: NormalizeOptions): Normalized;
  /** Confidence of a link by this type alone (the match rule of the same name). */
  confidence: number;
  /** 1 for the strongest: a stronger type decides between conflicting profiles. */
  strength: number;
  /** Tenants may limit how many profiles share one value (identifier_sharing_limits). */
  sharable: boolean;
  /** Longest value an event may hold. */
  maxLength: number;
  /** Values belong to a source system (the CRM's record 10 is not the POS's record 10). */
  perSource: boolean;
}

const id = (raw: string, { keepJunk }: NormalizeOptions) => normalizeId(raw, { keepJunk });

/**
 * Keyed by the field of an event's identity (and the query parameter of the profile lookup);
 * in the order of the identity's fields, the order identifiers are extracted in.
 */
export const IDENTIFIER_TYPES = {
  auth_user_id: { normalize: id, confidence: 1.0, strength: 1, sharable: false, maxLength: IDENTIFIER_MAX_LENGTH, perSource: false },
  email: {
    normalize: (raw, { providerRules, keepJunk }) => normalizeEmail(raw, { providerRules, keepJunk }),
    confidence: 0.95,
    strength: 3,
    sharable: true,
    maxLength: IDENTIFIER_MAX_LENGTH,
    perSource: false,
  },
  phone: {
    normalize: (raw, { region, keepJunk }) => normalizePhone(raw, region, { keepJunk }),
    confidence: 0.85,
    strength: 5,
    sharable: true,
    maxLength: PHONE_MAX_LENGTH,
    perSource: false,
  },
  anonymous_id: { normalize: id, confidence: 0.9, strength: 4, sharable: true, maxLength: IDENTIFIER_MAX_LENGTH, perSource: false },
  source_record_id: { normalize: id, confidence: 0.98, strength: 2, sharable: true, maxLength: IDENTIFIER_MAX_LENGTH, perSource: true },
} satisfies Record<keyof Identity, IdentifierTypeSpec>;

export type IdentifierType = keyof typeof IDENTIFIER_TYPES;

/** Every identifier type, in the order of the table. */
export const IDENTIFIER_TYPE_NAMES = Object.keys(IDENTIFIER_TYPES) as IdentifierType[];

/** The order the HTTP API names the types in: the profile lookup's precedence, the blocklist's types. */
export const API_ORDER: readonly IdentifierType[] = ['email', 'phone', 'auth_user_id', 'anonymous_id', 'source_record_id'];

export interface Identifier {
  type: IdentifierType;
  /** The source system, for source_record_id; empty otherwise. */
  source: string;
  value: string;
}
