/** What a batch changed in a tenant's identity state, to be written behind in one transaction. */
import type { MatchedRule, RawEvent } from '../../schemas/types.ts';
import type { Identifier } from '../identifiers.ts';
import type { PersonRecord } from '../fuzzy/person.ts';
import type { MatchRecord } from '../match/record.ts';
import type { ProfileState } from './tenant-state.ts';

export interface WriteSet {
  /** Profiles whose row changed (active ones, and those merged away in the batch). */
  touched: Set<string>;
  /** Profiles merged away in the batch, as they were when merged. */
  gone: Map<string, ProfileState>;
  /** Profiles whose merged_into changed. */
  repointed: Set<string>;
  /** Identifier keys to write as the state now holds them. */
  identifiers: Set<string>;
  /** Identifiers taken off their profile (a CRM record deleted), by key: deleted unless owned again by the end of the batch. */
  detached: Map<string, Identifier>;
  /** Identifier keys whose sharers to write as the state now holds them. */
  sharerKeys: Set<string>;
  /** Profiles whose consent versions are numbered again (they took another's in a merge). */
  renumber: Set<string>;
  /** New person records, by the profile that took them (followed to its survivor when written). */
  records: { profile: string; fingerprint: string; record: PersonRecord; match: MatchRecord; eventId: string }[];
  consent: { profile: string; event: RawEvent }[];
  /** Event links made in the batch: event ID to profile, rule and confidence. */
  links: Map<string, { customer360_id: string; rule: MatchedRule; confidence: number; evidence: string }>;
  merges: unknown[][];
  blocked: unknown[][];
  reviews: unknown[][];
}

export const emptyWriteSet = (): WriteSet => ({
  touched: new Set(),
  gone: new Map(),
  repointed: new Set(),
  identifiers: new Set(),
  detached: new Map(),
  sharerKeys: new Set(),
  renumber: new Set(),
  records: [],
  consent: [],
  links: new Map(),
  merges: [],
  blocked: [],
  reviews: [],
});
