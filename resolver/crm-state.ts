/**
 * CRM state on the profile: the tags, status and lifecycle stage a CRM gives each of its
 * contacts, kept per CRM record (on the record's source ID, so a merge carries it, a split gives
 * it back and contact_deleted takes it away with the ID) and shown on the profile as one:
 *
 * - tags: every tag of any of the profile's CRM records (a set, sorted);
 * - status, lifecycle stage: those of the CRM record that stated one last.
 *
 * contact_created and contact_updated carry the whole state (their tags are the whole set);
 * tags_changed adds and removes tags; lifecycle_changed moves the stage. A change older than the
 * one the record holds for that field is ignored, so late deliveries do not undo newer state.
 */
import type { RawEvent } from '../schemas/types.ts';

export const LIFECYCLE_STAGES = ['SUBSCRIBER', 'LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER', 'ADVOCATE', 'CHURNED'] as const;
export type CrmLifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** The state of one CRM record; times are epoch milliseconds of the events that set them. */
export interface CrmRecordState {
  tags: string[];
  tags_at: number | null;
  status: string | null;
  status_at: number | null;
  lifecycle_stage: CrmLifecycleStage | null;
  /** When the stage last moved to another one. */
  lifecycle_changed_at: number | null;
}

/** The CRM state of a profile, as the API, the profile changes and customer360 show it. */
export interface ProfileCrm {
  tags: string[];
  crm_status: string | null;
  crm_lifecycle_stage: CrmLifecycleStage | null;
  crm_lifecycle_changed_at: number | null;
}

/** Event types that change a CRM record's state, and the one that deletes the record. */
export const CRM_STATE_EVENTS: ReadonlySet<string> = new Set(['contact_created', 'contact_updated', 'tags_changed', 'lifecycle_changed']);
export const CRM_DELETE_EVENT = 'contact_deleted';

/** More tags than this on one record are not kept (a CRM's own limits are far lower). */
export const MAX_TAGS = 200;
const MAX_TAG_LENGTH = 200;

export const NO_CRM: ProfileCrm = Object.freeze({ tags: [], crm_status: null, crm_lifecycle_stage: null, crm_lifecycle_changed_at: null }) as ProfileCrm;

const empty = (): CrmRecordState => ({ tags: [], tags_at: null, status: null, status_at: null, lifecycle_stage: null, lifecycle_changed_at: null });

/**
 * Tags as a list, or as text: JSON of an array of strings, or comma-separated. Trimmed, empty
 * ones dropped, each once, sorted.
 */
export function parseTags(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  let list: unknown[];
  if (Array.isArray(value)) list = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    let parsed: unknown = null;
    if (text.startsWith('[')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    list = Array.isArray(parsed) ? parsed : text.split(',');
  } else return null;
  const tags = new Set<string>();
  for (const t of list) {
    if (typeof t !== 'string' && typeof t !== 'number') continue;
    const tag = String(t).trim();
    if (tag !== '' && tag.length <= MAX_TAG_LENGTH) tags.add(tag);
    if (tags.size >= MAX_TAGS) break;
  }
  return [...tags].sort();
}

export function parseStage(value: unknown): CrmLifecycleStage | null {
  if (typeof value !== 'string') return null;
  const stage = value.trim().toUpperCase();
  return (LIFECYCLE_STAGES as readonly string[]).includes(stage) ? (stage as CrmLifecycleStage) : null;
}

const newer = (at: number, held: number | null) => held === null || at >= held;

/** The CRM events' typed properties (their records of the raw event). */
export type CrmEvent = Pick<RawEvent, 'type' | 'occurred_at' | 'contact_created' | 'contact_updated' | 'tags_changed' | 'lifecycle_changed'>;

/** A record's state with an event applied; the same object when the event changes nothing. */
export function applyCrmEvent(current: CrmRecordState | undefined, event: CrmEvent): CrmRecordState | undefined {
  if (!CRM_STATE_EVENTS.has(event.type)) return current;
  const at = event.occurred_at;
  const next: CrmRecordState = current ? { ...current } : empty();
  const setStage = (stage: CrmLifecycleStage | null) => {
    if (stage === null || !newer(at, next.lifecycle_changed_at)) return;
    if (stage !== next.lifecycle_stage) next.lifecycle_changed_at = at;
    next.lifecycle_stage = stage;
  };
  const contact = event.type === 'contact_created' ? event.contact_created : event.type === 'contact_updated' ? event.contact_updated : null;
  if (event.type === 'tags_changed' && event.tags_changed) {
    if (newer(at, next.tags_at)) {
      const removed = new Set(parseTags(event.tags_changed.removed) ?? []);
      const tags = new Set(next.tags.filter((t) => !removed.has(t)));
      for (const t of parseTags(event.tags_changed.added) ?? []) if (tags.size < MAX_TAGS) tags.add(t);
      next.tags = [...tags].sort();
      next.tags_at = at;
    }
  } else if (event.type === 'lifecycle_changed' && event.lifecycle_changed) {
    setStage(parseStage(event.lifecycle_changed.stage));
  } else if (contact) {
    // A contact event holds the record's whole state: its tags are the whole set.
    if (newer(at, next.tags_at)) {
      next.tags = parseTags(contact.tags) ?? [];
      next.tags_at = at;
    }
    const status = contact.status?.trim() ?? null;
    if (status !== null && newer(at, next.status_at)) {
      next.status = status === '' ? null : status;
      next.status_at = at;
    }
    setStage(parseStage(contact.lifecycle_stage));
  }
  return current && sameRecordState(current, next) ? current : next;
}

function sameRecordState(a: CrmRecordState, b: CrmRecordState): boolean {
  return (
    a.tags.join('\u001f') === b.tags.join('\u001f') &&
    a.tags_at === b.tags_at &&
    a.status === b.status &&
    a.status_at === b.status_at &&
    a.lifecycle_stage === b.lifecycle_stage &&
    a.lifecycle_changed_at === b.lifecycle_changed_at
  );
}

/** The profile's CRM state from its records' (any order). */
export function profileCrmOf(records: Iterable<CrmRecordState | null | undefined>): ProfileCrm {
  const tags = new Set<string>();
  let status: CrmRecordState | null = null;
  let stage: CrmRecordState | null = null;
  for (const r of records) {
    if (!r) continue;
    for (const t of r.tags) tags.add(t);
    if (r.status_at !== null && (status === null || r.status_at > status.status_at!)) status = r;
    if (r.lifecycle_stage !== null && (stage === null || (r.lifecycle_changed_at ?? 0) > (stage.lifecycle_changed_at ?? 0))) stage = r;
  }
  if (tags.size === 0 && status === null && stage === null) return NO_CRM;
  return {
    tags: [...tags].sort(),
    crm_status: status?.status ?? null,
    crm_lifecycle_stage: stage?.lifecycle_stage ?? null,
    crm_lifecycle_changed_at: stage?.lifecycle_changed_at ?? null,
  };
}

/** A record's state as stored (identifiers.crm_state), checked: anything else is no state. */
export function crmStateFromJson(value: unknown): CrmRecordState | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const time = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    tags: parseTags(v.tags) ?? [],
    tags_at: time(v.tags_at),
    status: typeof v.status === 'string' ? v.status : null,
    status_at: time(v.status_at),
    lifecycle_stage: parseStage(v.lifecycle_stage),
    lifecycle_changed_at: time(v.lifecycle_changed_at),
  };
}
