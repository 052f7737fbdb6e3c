/**
 * A tenant's identity graph held in memory by the resolver that owns it: its active profiles
 * with their identifiers, person records and consent event IDs, who owns each identifier, who
 * shares it, the pairs a person split apart, and the entity index and value frequencies the
 * matcher scores records with. Postgres stays the durable truth: the state is built from it
 * (load-tenant.ts), changed by the events of a batch (resolve-event.ts) and written behind
 * once per batch (write-behind.ts). The `epoch` is the tenant's graph version in Postgres when
 * the state was read or last written; anyone else writing the graph moves it, and the next
 * write-behind then finds it moved and the state is built again.
 */
import type { Identifier } from '../identifiers.ts';
import type { ProfileRow } from '../decide.ts';
import type { PersonRecord } from '../fuzzy/person.ts';
import type { TraitHistory } from '../survivorship.ts';
import type { CrmRecordState } from '../crm-state.ts';
import { createEntityIndex, type EntityIndex } from '../match/entity-index.ts';
import { createFrequencies, type Frequencies } from '../match/frequencies.ts';
import { createScorer, defaultModel, estimateModel, type MatchModel, type Scorer } from '../match/entity-score.ts';
import { matchRecord, type MatchRecord } from '../match/record.ts';
import { seededRandom } from '../../platform/random.ts';

export interface IdentifierState extends Identifier {
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** A CRM record's tags, status and lifecycle stage (on its source record ID; resolver/crm-state.ts). */
  crm?: CrmRecordState | null;
}

export interface ProfileState extends ProfileRow {
  /** Order of creation in the tenant (the oldest first, whatever the clock's resolution): merges and ties are decided by it. */
  seq: number;
  trait_history: TraitHistory;
  deleted_at: Date | null;
  /** Every identifier the profile owns, by identifierKey. */
  identifiers: Map<string, IdentifierState>;
  auth: string | null;
  /** Fingerprints of its person records (what a split gives back). */
  fingerprints: Set<string>;
  /** Its entity in the entity index (the index's survivor after merges). */
  entity: number;
  /** Event IDs of its consent records. */
  consent: string[];
  /** Profiles merged into it (their merged_into is this profile). */
  absorbed: string[];
  /** Identifier keys it shares with their owners (identifier_sharers). */
  sharing: Set<string>;
}

export interface TenantState {
  tenantId: string;
  epoch: number;
  profiles: Map<string, ProfileState>;
  /** Profiles merged away, to the profile they were merged into. */
  mergedInto: Map<string, string>;
  owners: Map<string, string>;
  /** Profiles other than the owner that presented each identifier, with when they first did. */
  sharers: Map<string, { identifier: Identifier; by: Map<string, Date> }>;
  /** Pairs split apart by a person (pairKey). */
  exclusions: Set<string>;
  index: EntityIndex;
  profileOfEntity: Map<number, string>;
  frequencies: Frequencies;
  /** Link and review thresholds (probabilities). */
  thresholds: { linkThreshold: number; reviewThreshold: number };
  /** What a batch is scored with (see matchingFor). */
  matching: { scorer: Scorer; model: MatchModel; modelRecords: number } | null;
  /** Records of the tenant (distinct per profile), for u. */
  records: number;
  /** The next profile's seq. */
  nextSeq: number;
  lastUsed: number;
}

/** Person records sampled for u when a tenant's model is estimated. */
const U_SAMPLE = 4000;
/** Records from which a tenant's own u is estimated (below, the generic priors). */
const MIN_RECORDS_FOR_U = 50;

export function createTenantState(tenantId: string, epoch: number, thresholds: TenantState['thresholds']): TenantState {
  return {
    tenantId,
    epoch,
    profiles: new Map(),
    mergedInto: new Map(),
    owners: new Map(),
    sharers: new Map(),
    exclusions: new Set(),
    index: createEntityIndex(),
    profileOfEntity: new Map(),
    frequencies: createFrequencies(),
    thresholds,
    matching: null,
    records: 0,
    nextSeq: 0,
    lastUsed: Date.now(),
  };
}

/** A profile of the state: a new one (`created_at` only) or one read from Postgres. */
export function newProfile(
  state: TenantState,
  row: Pick<ProfileState, 'customer360_id' | 'created_at'> & Partial<Pick<ProfileState, 'updated_at' | 'version' | 'traits' | 'trait_history' | 'deleted_at'>>,
): ProfileState {
  const profile: ProfileState = {
    seq: state.nextSeq++,
    customer360_id: row.customer360_id,
    created_at: row.created_at,
    updated_at: row.updated_at ?? row.created_at,
    version: row.version ?? '0',
    merged_into: null,
    traits: Object.assign(Object.create(null), row.traits),
    trait_history: row.trait_history ?? Object.create(null),
    deleted_at: row.deleted_at ?? null,
    identifiers: new Map(),
    auth: null,
    fingerprints: new Set(),
    entity: -1,
    consent: [],
    absorbed: [],
    sharing: new Set(),
  };
  state.profiles.set(profile.customer360_id, profile);
  return profile;
}

/**
 * Adds a person record to a profile and to the entity index; false when it already had it. Its
 * values are counted in the frequencies by the caller (countRecord), after the batch that
 * brought it: every record of a batch is scored against the same table.
 */
export function addRecord(state: TenantState, profile: ProfileState, record: PersonRecord | MatchRecord, fingerprint: string): boolean {
  if (profile.fingerprints.has(fingerprint)) return false;
  profile.fingerprints.add(fingerprint);
  const match = 'givenSound' in record ? record : matchRecord(record);
  if (profile.entity < 0) {
    profile.entity = state.index.create(match);
    state.profileOfEntity.set(profile.entity, profile.customer360_id);
  } else state.index.add(profile.entity, match);
  return true;
}

/** Counts a record's values in the tenant's frequencies. */
export function countRecord(state: TenantState, record: PersonRecord | MatchRecord): void {
  state.frequencies.add('givenSound' in record ? record : matchRecord(record));
  state.records++;
}

export function addIdentifier(state: TenantState, profile: ProfileState, key: string, identifier: IdentifierState): void {
  profile.identifiers.set(key, identifier);
  state.owners.set(key, profile.customer360_id);
  if (identifier.type === 'auth_user_id') profile.auth = identifier.value;
}

export function addSharer(state: TenantState, key: string, identifier: Identifier, profile: ProfileState, since: Date): boolean {
  let sharers = state.sharers.get(key);
  if (!sharers) state.sharers.set(key, (sharers = { identifier: { type: identifier.type, source: identifier.source, value: identifier.value }, by: new Map() }));
  if (sharers.by.has(profile.customer360_id)) return false;
  sharers.by.set(profile.customer360_id, since);
  profile.sharing.add(key);
  return true;
}

/** The profile an entity of the index now stands for. */
export function profileOfEntity(state: TenantState, entity: number): ProfileState | undefined {
  const id = state.profileOfEntity.get(state.index.find(entity));
  return id === undefined ? undefined : state.profiles.get(id);
}

/** The active profile an ID is now (following merges); undefined for an unknown ID. */
export function currentProfile(state: TenantState, id: string): ProfileState | undefined {
  let at = id;
  for (let hops = 0; hops < 1000; hops++) {
    const profile = state.profiles.get(at);
    if (profile) return profile;
    const next = state.mergedInto.get(at);
    if (next === undefined) return undefined;
    at = next;
  }
  return undefined;
}

/**
 * What a batch is scored with: the tenant's value frequencies as they stand (records are counted
 * between batches, never during one) and u, estimated again from a sample of the tenant's records
 * each time they have doubled; the same for every record of a batch.
 */
export function matchingFor(state: TenantState, sampleOf: (n: number) => MatchRecord[]): NonNullable<TenantState['matching']> {
  const current = state.matching;
  const grown = state.records >= MIN_RECORDS_FOR_U && state.records >= (current?.modelRecords ?? 0) * 2;
  if (current && !grown) return current;
  let model = current?.model ?? defaultModel();
  let modelRecords = current?.modelRecords ?? 0;
  if (grown) {
    const sample = sampleOf(U_SAMPLE);
    // Random pairs: twenty per record sampled is plenty for a small tenant, fifty thousand for any.
    model = estimateModel(sample, seededRandom(360), Math.min(50_000, 20 * sample.length));
    modelRecords = state.records;
  }
  state.matching = { scorer: createScorer(model, state.frequencies), model, modelRecords };
  return state.matching;
}


/** The oldest profile first (the survivor of a merge). */
export const oldestProfileFirst = (a: ProfileState, b: ProfileState) => a.seq - b.seq;
