/**
 * TypeScript shapes of the Avro records in this folder (raw-event.avsc, resolved-event.avsc,
 * profile-change.avsc). Field names and optionality follow the schemas.
 */
export const SOURCES = ['crm', 'pos', 'web', 'messaging'] as const;
export type Source = (typeof SOURCES)[number];

export type AttributeValue = string | number | boolean | null;
export type Attributes = Record<string, AttributeValue>;

export interface Identity {
  auth_user_id: string | null;
  email: string | null;
  phone: string | null;
  anonymous_id: string | null;
  source_record_id: string | null;
}

export interface RawEvent {
  event_id: string;
  tenant_id: string;
  source: Source;
  type: string;
  /** Milliseconds since the epoch. */
  occurred_at: number;
  received_at: number;
  identity: Identity;
  traits: Attributes;
  properties: Attributes;
}

export type MatchedRule = 'auth_user_id' | 'email_phone' | 'email' | 'phone' | 'source_record_id' | 'anonymous_id' | 'new_profile';

export interface ResolvedEvent {
  event_id: string;
  tenant_id: string;
  customer360_id: string;
  confidence: number;
  matched_rule: MatchedRule;
  source: Source;
  type: string;
  occurred_at: number;
  received_at: number;
  properties: Attributes;
}

export type ProfileChangeKind = 'created' | 'updated' | 'merged';

export interface ProfileChange {
  change_id: string;
  kind: ProfileChangeKind;
  tenant_id: string;
  customer360_id: string;
  merged_ids: string[];
  changed_at: number;
  version: number;
  emails: string[];
  phones: string[];
  auth_user_id: string | null;
  source_ids: Record<string, string[]>;
  traits: Record<string, string>;
  created_at: number;
}
