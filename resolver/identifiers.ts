/**
 * The identifiers of an event and the confidence each rule gives a link (MISSION.md). The
 * types themselves, their normalizers, confidence and strength: resolver/identifier-types.ts.
 */
import type { MatchedRule, RawEvent } from '../schemas/types.ts';
import { normalizeEmail } from './normalize.ts';
import { isBlocked, type Blocklist } from './blocklist.ts';
import { IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES, type Identifier, type IdentifierType } from './identifier-types.ts';

export type { Identifier, IdentifierType };

type ExactRule = Exclude<MatchedRule, 'probabilistic'>;

/** Confidence of each exact rule; a probabilistic link carries its match probability instead. */
export const CONFIDENCE: Record<ExactRule, number> = {
  ...(Object.fromEntries(IDENTIFIER_TYPE_NAMES.map((type) => [type, IDENTIFIER_TYPES[type].confidence])) as Record<IdentifierType, number>),
  email_phone: 0.99,
  /** The sender named the profile (a cashier picked the customer): a person's word, not a match. */
  customer360_id: 1.0,
  new_profile: 1.0,
};

/** Identifier types in order of strength: a stronger one decides between conflicting profiles. */
export const STRENGTH: IdentifierType[] = [...IDENTIFIER_TYPE_NAMES].sort((a, b) => IDENTIFIER_TYPES[a].strength - IDENTIFIER_TYPES[b].strength);

export function identifierKey(tenantId: string, id: Identifier): string {
  return [tenantId, id.type, id.source, id.value].join('\u001f');
}

export interface ExtractedIdentifiers {
  identifiers: Identifier[];
  /** Values that were present but rejected (junk, malformed), with the reason. */
  rejected: { type: IdentifierType; reason: string }[];
}

export interface ExtractOptions {
  /** Apply the email provider rules (Gmail dots and +tags, +tags of other providers). */
  emailProviderRules?: boolean;
  /**
   * The tenant's blocklist (resolver/blocklist.ts): a value on it goes to `rejected` with the
   * reason 'blocklisted' instead of being an identifier, so it is never a merge key.
   */
  blocklist?: Blocklist;
}

export function extractIdentifiers(event: RawEvent, defaultRegion: string, options: ExtractOptions = {}): ExtractedIdentifiers {
  const identifiers: Identifier[] = [];
  const rejected: ExtractedIdentifiers['rejected'] = [];
  const providerRules = options.emailProviderRules ?? false;
  const blocklist = options.blocklist && options.blocklist.size > 0 ? options.blocklist : null;
  for (const type of IDENTIFIER_TYPE_NAMES) {
    const raw = event.identity[type];
    if (raw === null || raw === undefined) continue;
    const { normalize, perSource } = IDENTIFIER_TYPES[type];
    const result = normalize(raw, { region: defaultRegion, providerRules });
    if (!('value' in result)) {
      rejected.push({ type, reason: result.rejected });
      continue;
    }
    const identifier: Identifier = { type, source: perSource ? event.source : '', value: result.value };
    if (blocklist && (isBlocked(blocklist, identifier) || (type === 'email' && providerRules && isBlockedAsTyped(blocklist, raw)))) {
      rejected.push({ type, reason: 'blocklisted' });
      continue;
    }
    identifiers.push(identifier);
  }
  return { identifiers, rejected };
}

/** With provider rules on, an email is also checked as typed (rules off), the form blocklist entries are stored in. */
function isBlockedAsTyped(blocklist: Blocklist, raw: string): boolean {
  const typed = normalizeEmail(raw, { providerRules: false });
  return 'value' in typed && isBlocked(blocklist, { type: 'email', source: '', value: typed.value });
}

/** The rule and confidence of a link, from the identifiers the event shares with the profile. */
export function matchRule(shared: Identifier[]): ExactRule {
  const types = new Set(shared.map((i) => i.type));
  const strongest = STRENGTH.find((type) => types.has(type));
  if (strongest === undefined) return 'new_profile';
  // Email and phone together beat either alone, and every type whose confidence is lower.
  if (types.has('email') && types.has('phone') && CONFIDENCE.email_phone > CONFIDENCE[strongest]) return 'email_phone';
  return strongest;
}
