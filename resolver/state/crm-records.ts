/**
 * A CRM event applied to the record it names, in memory: contact_created, contact_updated,
 * tags_changed and lifecycle_changed change the state held on the record's source ID (when the
 * event's profile owns it), contact_deleted takes that source ID off the profile. The write set
 * carries both to Postgres.
 */
import type { RawEvent } from '../../schemas/types.ts';
import { applyCrmEvent, CRM_DELETE_EVENT, CRM_STATE_EVENTS } from '../crm-state.ts';
import { identifierKey, type Identifier } from '../identifiers.ts';
import type { ProfileState, TenantState } from './tenant-state.ts';
import type { WriteSet } from './write-set.ts';

/** The CRM record an event names: its source ID from the event's own source. */
const recordOf = (event: RawEvent, identifiers: Identifier[]) => identifiers.find((i) => i.type === 'source_record_id' && i.source === event.source);

/** Applies the event to the profile's CRM record; true when the profile changed. */
export function applyCrmRecordEvent(state: TenantState, profile: ProfileState, event: RawEvent, identifiers: Identifier[], writes: WriteSet): boolean {
  if (event.type !== CRM_DELETE_EVENT && !CRM_STATE_EVENTS.has(event.type)) return false;
  const record = recordOf(event, identifiers);
  if (!record) return false;
  const key = identifierKey(state.tenantId, record);
  const held = profile.identifiers.get(key);
  if (!held) return false;
  if (event.type === CRM_DELETE_EVENT) {
    profile.identifiers.delete(key);
    state.owners.delete(key);
    writes.identifiers.delete(key);
    writes.detached.set(key, record);
    return true;
  }
  const next = applyCrmEvent(held.crm ?? undefined, event);
  if (next === undefined || next === held.crm) return false;
  held.crm = next;
  writes.identifiers.add(key);
  return true;
}
