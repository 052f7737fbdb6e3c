/**
 * One event resolved against a tenant's identity state in memory, with the decisions of
 * decide.ts: the identifiers still merge keys, the candidate profiles (owners of its
 * identifiers, and profiles its person record matches as wholes), which of them may join, the
 * merge, the link and its evidence, the profile's traits. What changed goes into the batch's
 * write set; nothing here waits on a database.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileChange, ProfileChangeKind, RawEvent } from '../../schemas/types.ts';
import { identifierKey, type Identifier, type IdentifierType } from '../identifiers.ts';
import { allowedCandidates, blockedReasonOf, linkOf, pairKey, sameTraits, traitsOf } from '../decide.ts';
import { profileCrmOf } from '../crm-state.ts';
import type { PairScore } from '../fuzzy/model.ts';
import { recordFingerprint } from '../fuzzy/of-event.ts';
import type { PersonRecord } from '../fuzzy/person.ts';
import { consentOf } from '../graph-writes.ts';
import { matchProbability, type EntityScore, type Scorer } from '../match/entity-score.ts';
import { matchRecord } from '../match/record.ts';
import { alsoAs, byRecency, contactOf, profileChange } from '../profile-change.ts';
import type { Resolution } from '../resolution.ts';
import { recordValues, survive, type SurvivorshipRule } from '../survivorship.ts';
import { applyCrmRecordEvent } from './crm-records.ts';
import { mergeInto } from './merge-profiles.ts';
import { addIdentifier, addRecord, addSharer, currentProfile, newProfile, oldestProfileFirst, profileOfEntity, type ProfileState, type TenantState } from './tenant-state.ts';
import type { WriteSet } from './write-set.ts';

/** One event does not legitimately join more profiles than this, nor make one with more identifiers (the size guard). */
export const MAX_MERGE_PROFILES = 10;
export const MAX_PROFILE_IDENTIFIERS = 100;
/** Candidate entities a person record is scored against. */
const CANDIDATES = 40;

export interface BatchContext {
  scorer: Scorer;
  /** The tenant's profiles when the batch started (the prior odds). */
  entities: number;
  linkThreshold: number;
  reviewThreshold: number;
  sharingLimits: Partial<Record<IdentifierType, number>>;
  rules: Record<string, SurvivorshipRule>;
  /** Events of the batch linked before (redeliveries): event ID to the profile, rule and confidence. */
  linkedBefore: Map<string, { customer360_id: string; rule: Resolution['rule']; confidence: number }>;
}

export interface EventInput {
  event: RawEvent;
  identifiers: Identifier[];
  record: PersonRecord | null;
}

export function changeOfProfile(state: TenantState, profile: ProfileState, kind: ProfileChangeKind, mergedIds: string[]) {
  return profileChange({
    tenantId: state.tenantId,
    customer360Id: profile.customer360_id,
    kind,
    mergedIds,
    version: Number(profile.version),
    createdAt: profile.created_at.getTime(),
    contact: contactOf([...profile.identifiers.values()].sort(byRecency)),
    crm: profileCrmOf([...profile.identifiers.values()].map((i) => i.crm)),
    traits: Object.fromEntries(Object.entries(profile.traits).map(([k, v]) => [k, v.value])),
    deleted: profile.deleted_at !== null,
  });
}

/** A redelivered event: the link it made, and the profile as it is now (its first output may have been lost). */
function redelivery(state: TenantState, event: RawEvent, previous: { customer360_id: string; rule: Resolution['rule']; confidence: number }): Resolution {
  const current = currentProfile(state, previous.customer360_id);
  if (!current) return { customer360Id: previous.customer360_id, blockedReason: null, rule: previous.rule, confidence: previous.confidence, evidence: [], change: null, also: [] };
  const kind = current.absorbed.length ? 'merged' : 'updated';
  const change = changeOfProfile(state, current, kind, [...current.absorbed]);
  return { customer360Id: current.customer360_id, blockedReason: null, rule: previous.rule, confidence: previous.confidence, evidence: [], change, also: consentUpdate(change, event) };
}

/** The consent_updated domain event of an event that records consent (none for the others). */
function consentUpdate(change: ProfileChange, event: RawEvent): ProfileChange[] {
  const consent = consentOf(event);
  if (!consent) return [];
  const { scope, status, policy_version } = consent;
  return [alsoAs(change, 'consent_updated', { consent: { scope, status, policy_version, occurred_at: event.occurred_at, source: event.source, event_id: event.event_id } })];
}

/** The profiles the record may be, scored as wholes, at or above the review threshold and not vetoed. */
function fuzzyScores(state: TenantState, record: ReturnType<typeof matchRecord>, ctx: BatchContext) {
  const scores = new Map<string, PairScore & { entity: number }>();
  for (const entity of state.index.candidates(record, CANDIDATES)) {
    const profile = profileOfEntity(state, entity);
    if (!profile) continue;
    const score = ctx.scorer.score(record, state.index.members(entity));
    if (score.veto !== null) continue;
    const probability = matchProbability(score.weight, ctx.entities);
    if (probability >= ctx.reviewThreshold) scores.set(profile.customer360_id, { score: score.weight, probability, contributions: score.contributions, entity });
  }
  return scores;
}

/** Those at or above the link threshold, when they are one person (else none: one record must not chain two people). */
function fuzzyLinksAmong(state: TenantState, scores: Map<string, PairScore & { entity: number }>, ctx: BatchContext): Map<string, PairScore> {
  const seqOf = (id: string) => state.profiles.get(id)!.seq;
  const links = [...scores].filter(([, s]) => s.probability >= ctx.linkThreshold).sort((a, b) => b[1].probability - a[1].probability || seqOf(a[0]) - seqOf(b[0]));
  if (links.length <= 1) return new Map(links);
  const best = state.index.members(links[0]![1].entity);
  for (const [, other] of links.slice(1)) {
    const together = ctx.scorer.scoreEntities(best, state.index.members(other.entity));
    if (together.veto !== null || matchProbability(together.weight, ctx.entities) < ctx.linkThreshold) return new Map();
  }
  return new Map(links);
}

/** Date-of-birth levels of the entity matcher that no typo explains: a year or more apart. */
const DOB_APART = new Set(['within a year', 'within ten years', 'different']);

/**
 * Why a record and a profile reached only through a phone or an email are two people, or null:
 * the entity matcher's veto (different given names, dates of birth decades apart), or dates of
 * birth that no member of the profile has within a typo or a month of the record's. A phone or
 * an inbox is shared by a household, and a common address is typed for several people; a date
 * of birth is not.
 */
function contradiction(score: EntityScore): string | null {
  if (score.veto !== null) return score.veto;
  const dob = score.contributions.find((c) => c.comparison === 'date_of_birth');
  return dob && DOB_APART.has(dob.level) ? 'different dates of birth' : null;
}

export function resolveEvent(state: TenantState, input: EventInput, ctx: BatchContext, writes: WriteSet): Resolution {
  const { event, record } = input;
  const tenantId = state.tenantId;
  const previous = writes.links.get(event.event_id) ?? ctx.linkedBefore.get(event.event_id);
  if (previous) return redelivery(state, event, previous);

  // Identifiers shared by more profiles than the tenant allows are no merge keys.
  const identifiers = input.identifiers.filter((i) => {
    const limit = ctx.sharingLimits[i.type];
    return limit === undefined || 1 + (state.sharers.get(identifierKey(tenantId, i))?.by.size ?? 0) <= limit;
  });
  const keyOf = new Map(identifiers.map((i) => [i, identifierKey(tenantId, i)]));
  const ownerOf = (i: Identifier) => state.owners.get(keyOf.get(i) ?? identifierKey(tenantId, i));
  const match = record ? matchRecord(record) : null;
  const scores = match ? fuzzyScores(state, match, ctx) : new Map<string, PairScore & { entity: number }>();
  const fuzzyLinks = match ? fuzzyLinksAmong(state, scores, ctx) : new Map<string, PairScore>();
  // The profile the sender named (a cashier's pick), followed to its survivor; an ID the tenant does not have is ignored.
  const named = event.customer360_id ? currentProfile(state, event.customer360_id) : undefined;
  const candidateIds = [...new Set([...(named ? [named.customer360_id] : []), ...identifiers.map(ownerOf).filter((id): id is string => id !== undefined), ...fuzzyLinks.keys()])];
  const candidates = candidateIds.map((id) => state.profiles.get(id)!).sort(oldestProfileFirst);
  const authOf = new Map<string, string>();
  for (const c of candidates) if (c.auth !== null) authOf.set(c.customer360_id, c.auth);
  const differentPerson = (c: ProfileState) => (match && c.entity >= 0 ? contradiction(ctx.scorer.score(match, state.index.members(c.entity))) : null);
  const { anchorAuth, allowed, householdReason } = allowedCandidates({ event, identifiers, candidates, ownerOf, authOf, fuzzyLinks, differentPerson, named: named?.customer360_id });
  // Profiles a person split apart are never merged again automatically: oldest first, a profile
  // joins only when it is not excluded with one already joining.
  const compatible: ProfileState[] = [];
  for (const c of [...allowed].sort(oldestProfileFirst)) {
    if (!compatible.some((k) => state.exclusions.has(pairKey(k.customer360_id, c.customer360_id)))) compatible.push(c);
  }
  let sizeGuard = false;
  if (compatible.length > 1) {
    const size = compatible.reduce((n, c) => n + c.identifiers.size, 0);
    if (compatible.length > MAX_MERGE_PROFILES || size + identifiers.length > MAX_PROFILE_IDENTIFIERS) {
      sizeGuard = true;
      compatible.splice(1);
    }
  }
  const blocked = candidates.filter((c) => !compatible.includes(c));
  const blockedReason = blockedReasonOf({ blocked, allowed, authOf, anchorAuth, sizeGuard, householdReason });
  const now = new Date();
  const created = compatible.length === 0;
  const survivor = created ? newProfile(state, { customer360_id: randomUUID(), created_at: now }) : compatible[0]!;
  const id = survivor.customer360_id;
  const mergedIds = compatible.slice(1).map((c) => c.customer360_id);
  const link = linkOf({ created, identifiers, ownerOf, joining: new Set(compatible.map((c) => c.customer360_id)), fuzzyLinks, named: named?.customer360_id });
  const kind: ProfileChangeKind = created ? 'created' : mergedIds.length ? 'merged' : 'updated';
  let changed = created || mergedIds.length > 0;

  for (const merged of compatible.slice(1)) {
    const moved = mergeInto(state, survivor, merged, now, writes);
    writes.merges.push([tenantId, id, merged.customer360_id, event.event_id, link.rule, JSON.stringify(link.linkEvidence), JSON.stringify(moved)]);
  }
  if (blocked.length) {
    writes.blocked.push([tenantId, [id, ...blocked.map((b) => b.customer360_id)].join(','), event.event_id, blockedReason]);
    // The event's profile shares the identifiers of the refused profiles: counted towards the limits.
    for (const i of identifiers) {
      const owner = ownerOf(i);
      if (owner !== undefined && blocked.some((b) => b.customer360_id === owner) && addSharer(state, keyOf.get(i)!, i, survivor, now)) writes.sharerKeys.add(keyOf.get(i)!);
    }
  }
  // Attach the event's identifiers that no refused profile owns.
  const hadAuth = survivor.auth !== null;
  const seenAt = event.occurred_at;
  for (const i of identifiers) {
    const key = keyOf.get(i)!;
    const owner = state.owners.get(key);
    if (owner !== undefined && owner !== id) continue;
    const held = survivor.identifiers.get(key);
    if (!held) {
      changed = true;
      addIdentifier(state, survivor, key, { type: i.type, source: i.source, value: i.value, firstSeen: seenAt, lastSeen: seenAt, count: 1 });
    } else {
      held.firstSeen = Math.min(held.firstSeen, seenAt);
      held.lastSeen = Math.max(held.lastSeen, seenAt);
      held.count += 1;
    }
    writes.identifiers.add(key);
  }
  if (applyCrmRecordEvent(state, survivor, event, identifiers, writes)) changed = true;

  const values = traitsOf(event);
  if (Object.keys(values).length || mergedIds.length) {
    survivor.trait_history = recordValues(survivor.trait_history, values);
    const traits = survive(survivor.trait_history, ctx.rules);
    if (!sameTraits(survivor.traits, traits)) changed = true;
    survivor.traits = traits;
    writes.touched.add(id);
  }
  // An event without traits that brings nothing new (a page view of a known visitor) leaves the
  // profile's row alone: no version, no write.
  if (changed) {
    survivor.version = String(Number(survivor.version) + 1);
    survivor.updated_at = now;
    writes.touched.add(id);
  }
  writes.links.set(event.event_id, { customer360_id: id, rule: link.rule, confidence: link.confidence, evidence: JSON.stringify(link.linkEvidence) });

  if (record && match) {
    const fingerprint = recordFingerprint(record);
    if (addRecord(state, survivor, match, fingerprint)) writes.records.push({ profile: id, fingerprint, record, match, eventId: event.event_id });
    // Probable matches below the link threshold: suggested merges for review.
    for (const [candidate, score] of scores) {
      if (score.probability < ctx.linkThreshold && candidate !== id && !mergedIds.includes(candidate) && state.profiles.has(candidate)) {
        writes.reviews.push([tenantId, id, candidate, score.probability, JSON.stringify(score.contributions), event.event_id]);
      }
    }
  }
  const recordsConsent = consentOf(event) !== null;
  if (recordsConsent) {
    survivor.consent.push(event.event_id);
    writes.consent.push({ profile: id, event });
  }
  const change = changed ? changeOfProfile(state, survivor, kind, mergedIds) : null;
  // Domain events besides the change: the profile's first auth user ID (a new one, not one a
  // merge brought), and a consent version.
  const also: ProfileChange[] = [];
  if (!hadAuth && survivor.auth !== null) also.push(alsoAs(change!, 'registered'));
  if (recordsConsent) also.push(...consentUpdate(change ?? changeOfProfile(state, survivor, 'updated', []), event));
  return { customer360Id: id, blockedReason, rule: link.rule, confidence: link.confidence, evidence: link.evidence, change, also };
}
