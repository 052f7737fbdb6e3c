/**
 * A merge in memory: the merged profile's identifiers, person records, consent, value history,
 * shares and the profiles merged into it before all become the survivor's, and what moved is
 * kept for the audit so a split can give it back.
 */
import { mergeHistories, type TraitHistory } from '../survivorship.ts';
import { addIdentifier, addSharer, type ProfileState, type TenantState } from './tenant-state.ts';
import type { WriteSet } from './write-set.ts';

/** What a merge moves from a merged profile (profile_merges.moved). */
export interface Moved {
  identifiers: [string, string, string][];
  /** The merged profile's value history (merges audited before it was kept: none). */
  history?: TraitHistory;
  records: string[];
  consent: string[];
  chain: string[];
}

export function mergeInto(state: TenantState, survivor: ProfileState, merged: ProfileState, at: Date, writes: WriteSet): Moved {
  const moved: Moved = {
    identifiers: [...merged.identifiers.values()].map((i) => [i.type, i.source, i.value]),
    history: merged.trait_history,
    records: [...merged.fingerprints],
    consent: [...merged.consent],
    chain: [...merged.absorbed],
  };
  survivor.trait_history = mergeHistories(survivor.trait_history, merged.trait_history);
  for (const [key, identifier] of merged.identifiers) {
    addIdentifier(state, survivor, key, identifier);
    writes.identifiers.add(key);
    // The survivor shared this value with its owner; now it owns it.
    const sharers = state.sharers.get(key);
    if (sharers?.by.delete(survivor.customer360_id)) {
      survivor.sharing.delete(key);
      writes.sharerKeys.add(key);
    }
  }
  for (const key of merged.sharing) {
    const sharers = state.sharers.get(key)!;
    const since = sharers.by.get(merged.customer360_id)!;
    sharers.by.delete(merged.customer360_id);
    if (!survivor.identifiers.has(key)) addSharer(state, key, sharers.identifier, survivor, since);
    writes.sharerKeys.add(key);
  }
  for (const fingerprint of merged.fingerprints) survivor.fingerprints.add(fingerprint);
  if (merged.entity >= 0) {
    survivor.entity = survivor.entity < 0 ? merged.entity : state.index.merge(survivor.entity, merged.entity);
    state.profileOfEntity.set(survivor.entity, survivor.customer360_id);
  }
  survivor.consent.push(...merged.consent);
  if (merged.consent.length) writes.renumber.add(survivor.customer360_id);
  for (const id of [merged.customer360_id, ...merged.absorbed]) {
    state.mergedInto.set(id, survivor.customer360_id);
    survivor.absorbed.push(id);
    writes.repointed.add(id);
  }
  survivor.absorbed.sort();
  merged.merged_into = survivor.customer360_id;
  merged.updated_at = at;
  state.profiles.delete(merged.customer360_id);
  writes.gone.set(merged.customer360_id, merged);
  writes.touched.add(merged.customer360_id);
  return moved;
}
