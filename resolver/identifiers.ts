/**
 * The identifiers of an event and the confidence each rule gives a link (MISSION.md).
 */
import type { MatchedRule, RawEvent } from '../schemas/types.ts';
import { normalizeEmail, normalizeId, normalizePhone } from './normalize.ts';
import { isBlocked, type Blocklist } from './blocklist.ts';

export type IdentifierType = 'auth_user_id' | 'email' | 'phone' | 'anonymous_id' | 'source_record_id';

export interface Identifier {
  type: IdentifierType;
  /** The source system, for source_record_id; empty otherwise. */
  source: string;
  value: string;
}

/** Confidence of each exact rule; a probabilistic link carries its match probability instead. */
export const CONFIDENCE: Record<Exclude<MatchedRule, 'probabilistic'>, number> = {
  auth_user_id: 1.0,
  email_phone: 0.99,
  source_record_id: 0.98,
  email: 0.95,
  anonymous_id: 0.9,
  phone: 0.85,
  new_profile: 1.0,
};

/** Identifier types in order of strength: a stronger one decides between conflicting profiles. */
export const STRENGTH: IdentifierType[] = ['auth_user_id', 'source_record_id', 'email', 'anonymous_id', 'phone'];

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
  const add = (type: IdentifierType, source: string, raw: string | null, normalize: (v: string) => { value: string } | { rejected: string }) => {
    if (raw === null || raw === undefined) return;
    const result = normalize(raw);
    if (!('value' in result)) {
      rejected.push({ type, reason: result.rejected });
      return;
    }
    const identifier: Identifier = { type, source, value: result.value };
    if (blocklist && (isBlocked(blocklist, identifier) || (type === 'email' && providerRules && isBlockedAsTyped(blocklist, raw)))) {
      rejected.push({ type, reason: 'blocklisted' });
      return;
    }
    identifiers.push(identifier);
  };
  const { identity } = event;
  add('auth_user_id', '', identity.auth_user_id, normalizeId);
  add('email', '', identity.email, (v) => normalizeEmail(v, { providerRules }));
  add('phone', '', identity.phone, (v) => normalizePhone(v, defaultRegion));
  add('anonymous_id', '', identity.anonymous_id, normalizeId);
  add('source_record_id', event.source, identity.source_record_id, normalizeId);
  return { identifiers, rejected };
}

/** With provider rules on, an email is also checked as typed (rules off), the form blocklist entries are stored in. */
function isBlockedAsTyped(blocklist: Blocklist, raw: string): boolean {
  const typed = normalizeEmail(raw, { providerRules: false });
  return 'value' in typed && isBlocked(blocklist, { type: 'email', source: '', value: typed.value });
}

/** The rule and confidence of a link, from the identifiers the event shares with the profile. */
export function matchRule(shared: Identifier[]): Exclude<MatchedRule, 'probabilistic'> {
  const types = new Set(shared.map((i) => i.type));
  if (types.has('auth_user_id')) return 'auth_user_id';
  if (types.has('email') && types.has('phone')) return 'email_phone';
  if (types.has('source_record_id')) return 'source_record_id';
  if (types.has('email')) return 'email';
  if (types.has('anonymous_id')) return 'anonymous_id';
  if (types.has('phone')) return 'phone';
  return 'new_profile';
}
