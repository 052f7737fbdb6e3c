/**
 * The one builder of profile changes (the profile-changes topic's records): from a profile's
 * state in memory (the resolver) or from its view read from Postgres (splits, soft deletes,
 * redeliveries), both described as a ProfileContact plus its row.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileChange, ProfileChangeKind } from '../schemas/types.ts';
import type { ProfileCrm } from './crm-state.ts';
import type { Identifier } from './identifiers.ts';

export interface ProfileContact {
  emails: string[];
  phones: string[];
  auth_user_id: string | null;
  anonymous_ids: string[];
  source_ids: Record<string, string[]>;
}

/** Emails, phones, the auth user ID and source IDs of identifiers listed most recently seen first. */
export function contactOf(ids: readonly Pick<Identifier, 'type' | 'source' | 'value'>[]): ProfileContact {
  const of = (type: Identifier['type']) => ids.filter((i) => i.type === type).map((i) => i.value);
  const sourceIds: Record<string, string[]> = {};
  for (const i of ids) if (i.type === 'source_record_id') (sourceIds[i.source] ??= []).push(i.value);
  return { emails: of('email'), phones: of('phone'), auth_user_id: of('auth_user_id')[0] ?? null, anonymous_ids: of('anonymous_id'), source_ids: sourceIds };
}

/** Most recently seen first, then most often, then by value: the order profile views list identifiers in. */
export const byRecency = (a: { lastSeen: number; count: number; value: string }, b: { lastSeen: number; count: number; value: string }) =>
  b.lastSeen - a.lastSeen || b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

export function profileChange(args: {
  tenantId: string;
  customer360Id: string;
  kind: ProfileChangeKind;
  mergedIds: string[];
  version: number;
  createdAt: number;
  contact: ProfileContact;
  traits: Record<string, string>;
  deleted: boolean;
  crm: ProfileCrm;
  consent?: ProfileChange['consent'];
}): ProfileChange {
  return {
    change_id: randomUUID(),
    kind: args.kind,
    tenant_id: args.tenantId,
    customer360_id: args.customer360Id,
    merged_ids: args.mergedIds,
    changed_at: Date.now(),
    version: args.version,
    emails: args.contact.emails,
    phones: args.contact.phones,
    auth_user_id: args.contact.auth_user_id,
    source_ids: args.contact.source_ids,
    traits: args.traits,
    created_at: args.createdAt,
    deleted: args.deleted,
    tags: args.crm.tags,
    crm_status: args.crm.crm_status,
    crm_lifecycle_stage: args.crm.crm_lifecycle_stage,
    crm_lifecycle_changed_at: args.crm.crm_lifecycle_changed_at,
    consent: args.consent ?? null,
    loyalty: null,
  };
}

/** The same state as another domain event (registered, consent_updated after the change that brought it). */
export const alsoAs = (change: ProfileChange, kind: ProfileChangeKind, extra: Pick<ProfileChange, 'consent'> = { consent: null }): ProfileChange => ({
  ...change,
  ...extra,
  change_id: randomUUID(),
  kind,
});
