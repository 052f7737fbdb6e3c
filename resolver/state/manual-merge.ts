/**
 * A merge a person decided (an approved suggestion, a merge from the console), applied to the
 * tenant's state in memory like the resolver's own: the survivor is the older profile, the
 * other's identifiers, records, consent and values move to it, and the audit keeps what moved so
 * a split can give it back. Merge safety still holds: profiles with different auth user IDs are
 * two people, whoever asks.
 */
import { survive, type SurvivorshipRule } from '../survivorship.ts';
import { mergeInto } from './merge-profiles.ts';
import { changeOfProfile, MAX_PROFILE_IDENTIFIERS } from './resolve-event.ts';
import { currentProfile, oldestProfileFirst, type TenantState } from './tenant-state.ts';
import type { WriteSet } from './write-set.ts';
import type { ProfileChange } from '../../schemas/types.ts';

export class MergeRefusedError extends Error {
  constructor(
    message: string,
    /** not_found: a profile is not the tenant's; refused: merge safety says no. */
    readonly reason: 'not_found' | 'refused',
  ) {
    super(message);
  }
}

export interface ManualMerge {
  survivorId: string;
  mergedId: string;
  change: ProfileChange;
}

export function mergeManually(
  state: TenantState,
  ids: [string, string],
  ctx: { rules: Record<string, SurvivorshipRule>; evidence: Record<string, unknown>; now: Date },
  writes: WriteSet,
): ManualMerge {
  const [a, b] = ids.map((id) => currentProfile(state, id));
  if (!a || !b) throw new MergeRefusedError('no such profile', 'not_found');
  if (a === b) throw new MergeRefusedError('the two IDs are one profile already', 'refused');
  if (a.auth !== null && b.auth !== null && a.auth !== b.auth) throw new MergeRefusedError('different auth user IDs: two registered users are never merged', 'refused');
  if (a.identifiers.size + b.identifiers.size > MAX_PROFILE_IDENTIFIERS) throw new MergeRefusedError(`together they would hold more than ${MAX_PROFILE_IDENTIFIERS} identifiers (the profile size guard)`, 'refused');
  const [survivor, merged] = [a, b].sort(oldestProfileFirst) as [typeof a, typeof b];
  const moved = mergeInto(state, survivor, merged, ctx.now, writes);
  writes.merges.push([state.tenantId, survivor.customer360_id, merged.customer360_id, null, 'manual', JSON.stringify(ctx.evidence), JSON.stringify(moved)]);
  survivor.traits = survive(survivor.trait_history, ctx.rules);
  survivor.version = String(Number(survivor.version) + 1);
  survivor.updated_at = ctx.now;
  writes.touched.add(survivor.customer360_id);
  return { survivorId: survivor.customer360_id, mergedId: merged.customer360_id, change: changeOfProfile(state, survivor, 'merged', [merged.customer360_id]) };
}
