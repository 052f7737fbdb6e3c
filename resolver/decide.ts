/**
 * The decisions of the resolver that need no database: which candidate profiles an event may
 * join, why others are refused, the rule, confidence and evidence of the link, and how an event's
 * traits change a profile. The identity engine applies them to each event of a batch, in order
 * (state/resolve-event.ts).
 */
import jaroWinkler from 'talisman/metrics/jaro-winkler.js';
import type { MatchedRule, RawEvent } from '../schemas/types.ts';
import { CONFIDENCE, STRENGTH, matchRule, type Identifier } from './identifiers.ts';
import type { Contribution, PairScore } from './fuzzy/model.ts';
import { givenNameOf } from './fuzzy/of-event.ts';
import { historyOf, type TraitHistory } from './survivorship.ts';
import { namesMayBeSame } from './names/given-name.ts';
import { foldText } from './names/fold.ts';

export interface TraitValue {
  value: string;
  at: number;
  source: string;
}

export interface ProfileRow {
  customer360_id: string;
  created_at: Date;
  updated_at: Date;
  version: string;
  merged_into: string | null;
  traits: Record<string, TraitValue>;
  trait_history?: TraitHistory;
  deleted_at?: Date | null;
}


/** The value history of a profile; a profile from before histories starts from its survived values. */
export function historyOfRow(row: ProfileRow): TraitHistory {
  return row.trait_history && Object.keys(row.trait_history).length ? row.trait_history : historyOf(row.traits);
}

/** The values an event brings, keyed by the sender's trait names (in a map without a prototype). */
export function traitsOf(event: RawEvent): Record<string, TraitValue> {
  const traits: Record<string, TraitValue> = Object.create(null);
  for (const [name, value] of Object.entries(event.traits)) {
    if (value === null || value === undefined) continue;
    traits[name] = { value: String(value).trim(), at: event.occurred_at, source: event.source };
  }
  return traits;
}

export function sameTraits(a: Record<string, TraitValue>, b: Record<string, TraitValue>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => Object.hasOwn(a, k) && a[k]?.value === b[k]?.value);
}

/**
 * Two given names that belong to different people: not the same after nicknames and initials,
 * and not a likely typo of one another (Jaro-Winkler below 0.85: Ann/Anne are alike, Ann/Bob not).
 */
export function givenNamesConflict(a: string, b: string): boolean {
  if (namesMayBeSame(a, b)) return false;
  const x = foldText(a);
  const y = foldText(b);
  return x !== '' && y !== '' && jaroWinkler(x, y) < 0.85;
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Oldest profile first (ties by ID): the survivor of a merge is the oldest. */
export const oldestFirst = (a: ProfileRow, b: ProfileRow) =>
  a.created_at.getTime() - b.created_at.getTime() || (a.customer360_id < b.customer360_id ? -1 : 1);

/**
 * The profiles an event may join among its candidates: no auth user ID, or the same one as the
 * event's (its own, else that of the profile owning its strongest identifier that has one).
 * Different auth user IDs never merge. A profile reached only through a phone or an email (a
 * family phone, a shared inbox, an address typed for several people) does not join when the given
 * names clearly differ, or when the person records say two people (differentPerson).
 */
export function allowedCandidates<C extends ProfileRow>(args: {
  event: RawEvent;
  identifiers: Identifier[];
  candidates: C[];
  ownerOf: (i: Identifier) => string | undefined;
  authOf: Map<string, string>;
  fuzzyLinks: Map<string, PairScore>;
  /** Why the event's person record and the candidate's records are clearly two people; null when they may be one. */
  differentPerson?: (c: C) => string | null;
  /** The profile the sender named (event.customer360_id), when the tenant has it. */
  named?: string;
}): { anchorAuth: string | null; allowed: C[]; householdReason: string | null } {
  const { identifiers, candidates, ownerOf, authOf, fuzzyLinks } = args;
  // The event's own auth user ID decides; else the named profile's (a person picked it); else that of its strongest identifier's owner.
  let anchorAuth = identifiers.find((i) => i.type === 'auth_user_id')?.value ?? (args.named !== undefined ? (authOf.get(args.named) ?? null) : null);
  for (const type of STRENGTH) {
    if (anchorAuth !== null) break;
    for (const i of identifiers.filter((x) => x.type === type)) {
      const owner = ownerOf(i);
      if (owner && authOf.has(owner)) {
        anchorAuth = authOf.get(owner)!;
        break;
      }
    }
  }
  const eventGiven = givenNameOf(args.event.traits);
  const sharedOnly = (c: C) => {
    const types = new Set(identifiers.filter((i) => ownerOf(i) === c.customer360_id).map((i) => i.type));
    return types.size > 0 && [...types].every((t) => t === 'phone' || t === 'email') && !fuzzyLinks.has(c.customer360_id) && c.customer360_id !== args.named;
  };
  const reasons: string[] = [];
  const household = (c: C) => {
    if (!sharedOnly(c)) return false;
    const theirs = c.traits.first_name?.value ?? c.traits.given_name?.value;
    const why = eventGiven !== null && theirs !== undefined && givenNamesConflict(eventGiven, theirs) ? 'different given names' : (args.differentPerson?.(c) ?? null);
    if (why !== null) reasons.push(`shared phone or email, ${why}`);
    return why !== null;
  };
  const allowed = candidates.filter((c) => (!authOf.has(c.customer360_id) || authOf.get(c.customer360_id) === anchorAuth) && !household(c));
  return { anchorAuth, allowed, householdReason: reasons[0] ?? null };
}

/** Why the candidates left out of the compatible set were refused; null when none were. */
export function blockedReasonOf<C extends ProfileRow>(args: {
  blocked: C[];
  allowed: C[];
  authOf: Map<string, string>;
  anchorAuth: string | null;
  sizeGuard: boolean;
  /** Why a profile reached only through a phone or an email was refused (allowedCandidates). */
  householdReason?: string | null;
}): string | null {
  const { blocked, allowed, authOf, anchorAuth, sizeGuard } = args;
  if (blocked.length === 0) return null;
  if (blocked.some((c) => authOf.has(c.customer360_id) && authOf.get(c.customer360_id) !== anchorAuth)) return 'different auth user IDs';
  if (sizeGuard) return 'profile size guard';
  if (blocked.some((c) => allowed.includes(c))) return 'split apart by a person';
  return args.householdReason ?? 'shared phone or email, different given names';
}

export type LinkEvidence = Identifier | { probability: number; contributions: Contribution[] };

/**
 * The rule, confidence and evidence of a link: the identifiers the event shares with the joining
 * profiles, else the probabilistic link of highest probability among them.
 */
export function linkOf(args: {
  created: boolean;
  identifiers: Identifier[];
  ownerOf: (i: Identifier) => string | undefined;
  joining: Set<string>;
  fuzzyLinks: Map<string, PairScore>;
  /** The profile the sender named: when it joins, the link is the sender's word (rule customer360_id). */
  named?: string;
}): { rule: MatchedRule; confidence: number; evidence: Identifier[]; linkEvidence: LinkEvidence[] } {
  const evidence = args.identifiers.filter((i) => {
    const owner = args.ownerOf(i);
    return owner !== undefined && args.joining.has(owner);
  });
  const fuzzyBest = [...args.fuzzyLinks].filter(([id]) => args.joining.has(id)).sort((a, b) => b[1].probability - a[1].probability)[0];
  if (!args.created && args.named !== undefined && args.joining.has(args.named)) return { rule: 'customer360_id', confidence: CONFIDENCE.customer360_id, evidence, linkEvidence: evidence };
  const exactRule = matchRule(evidence);
  const rule: MatchedRule = args.created ? 'new_profile' : exactRule === 'new_profile' && fuzzyBest ? 'probabilistic' : exactRule;
  if (rule === 'probabilistic') {
    const { probability, contributions } = fuzzyBest![1];
    return { rule, confidence: probability, evidence, linkEvidence: [{ probability, contributions }] };
  }
  return { rule, confidence: CONFIDENCE[rule], evidence, linkEvidence: evidence };
}
