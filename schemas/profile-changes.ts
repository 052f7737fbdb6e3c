/**
 * What the records of the profile-changes topic mean by their kind: most carry the profile's
 * state after the change; erased and loyalty_tier_changed name profiles only, so a consumer that
 * keeps profiles (the warehouse) must not take their empty fields for a state.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileChange, ProfileChangeKind } from './types.ts';

/** Kinds whose records carry a new state of the profile to keep. registered and consent_updated repeat the state of the change before them. */
export const STATE_KINDS: ReadonlySet<ProfileChangeKind> = new Set(['created', 'updated', 'merged', 'split', 'deleted', 'restored']);

/** A domain event that names profiles and nothing of the person: every state field empty, version 0. */
export function idOnlyChange(args: { tenantId: string; customer360Id: string; kind: ProfileChangeKind; mergedIds?: string[]; loyalty?: ProfileChange['loyalty'] }): ProfileChange {
  const now = Date.now();
  return {
    change_id: randomUUID(),
    kind: args.kind,
    tenant_id: args.tenantId,
    customer360_id: args.customer360Id,
    merged_ids: args.mergedIds ?? [],
    changed_at: now,
    version: 0,
    emails: [],
    phones: [],
    auth_user_id: null,
    source_ids: {},
    traits: {},
    created_at: now,
    deleted: false,
    tags: [],
    crm_status: null,
    crm_lifecycle_stage: null,
    crm_lifecycle_changed_at: null,
    consent: null,
    loyalty: args.loyalty ?? null,
  };
}
