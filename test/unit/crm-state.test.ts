import { describe, expect, it } from 'vitest';
import { applyCrmEvent, crmStateFromJson, parseTags, profileCrmOf, type CrmEvent, type CrmRecordState } from '../../resolver/crm-state.ts';

const contact = (at: number, c: { tags?: string[]; status?: string | null; lifecycle_stage?: any }, type = 'contact_updated'): CrmEvent => ({
  type,
  occurred_at: at,
  [type]: { tags: c.tags ?? [], status: c.status ?? null, lifecycle_stage: c.lifecycle_stage ?? null, owner: null },
});
const tagsChanged = (at: number, added: string[], removed: string[]): CrmEvent => ({ type: 'tags_changed', occurred_at: at, tags_changed: { added, removed } });
const stage = (at: number, s: any): CrmEvent => ({ type: 'lifecycle_changed', occurred_at: at, lifecycle_changed: { stage: s, previous_stage: null } });
const run = (...events: CrmEvent[]) => events.reduce<CrmRecordState | undefined>((s, e) => applyCrmEvent(s, e), undefined);

describe('CRM record state', () => {
  it('reads tags as a list, JSON text or a comma list: trimmed, each once, sorted', () => {
    expect(parseTags([' vip', 'beta', 'vip', ''])).toEqual(['beta', 'vip']);
    expect(parseTags('["b","a"]')).toEqual(['a', 'b']);
    expect(parseTags('x, y ,,x')).toEqual(['x', 'y']);
    expect(parseTags(null)).toBeNull();
    expect(parseTags(Array.from({ length: 500 }, (_, i) => `t${i}`))).toHaveLength(200);
  });

  it('takes a contact event as the whole state, and changes tags and the stage in order', () => {
    const s = run(contact(1, { tags: ['vip', 'newsletter'], status: 'open', lifecycle_stage: 'LEAD' }, 'contact_created'), tagsChanged(2, ['beta'], ['newsletter']), stage(3, 'CUSTOMER'));
    expect(s).toEqual({ tags: ['beta', 'vip'], tags_at: 2, status: 'open', status_at: 1, lifecycle_stage: 'CUSTOMER', lifecycle_changed_at: 3 });
    // A later contact event replaces the tags; one without a status keeps it; the same stage keeps its time.
    expect(applyCrmEvent(s, contact(4, { tags: ['gold'], lifecycle_stage: 'CUSTOMER' }))).toMatchObject({ tags: ['gold'], status: 'open', lifecycle_stage: 'CUSTOMER', lifecycle_changed_at: 3 });
  });

  it('ignores a change older than what the record holds, and gives the same object when nothing changes', () => {
    const s = run(contact(10, { tags: ['vip'], status: 'open', lifecycle_stage: 'MEMBER' }));
    expect(applyCrmEvent(s, tagsChanged(5, [], ['vip']))).toBe(s);
    expect(applyCrmEvent(s, stage(5, 'LEAD'))).toBe(s);
    expect(applyCrmEvent(s, contact(5, { tags: [], status: 'closed', lifecycle_stage: 'LEAD' }))).toBe(s);
    expect(applyCrmEvent(s, contact(10, { tags: ['vip'], status: 'open', lifecycle_stage: 'MEMBER' }))).toBe(s);
    // Not a CRM state event: unchanged.
    expect(applyCrmEvent(s, { type: 'page_viewed', occurred_at: 20 })).toBe(s);
    // An unknown stage (a producer writing the raw topic directly) is no stage.
    expect(applyCrmEvent(s, stage(20, 'WHALE'))).toBe(s);
  });

  it('shows a profile the union of its records\' tags and the status and stage stated last', () => {
    const a = run(contact(1, { tags: ['vip'], status: 'qualified', lifecycle_stage: 'PROSPECT' }));
    const b = run(contact(2, { tags: ['wholesale', 'vip'], status: 'open' }));
    expect(profileCrmOf([a, null, b])).toEqual({ tags: ['vip', 'wholesale'], crm_status: 'open', crm_lifecycle_stage: 'PROSPECT', crm_lifecycle_changed_at: 1 });
    expect(profileCrmOf([b, a])).toEqual(profileCrmOf([a, b]));
    expect(profileCrmOf([])).toEqual({ tags: [], crm_status: null, crm_lifecycle_stage: null, crm_lifecycle_changed_at: null });
  });

  it('reads the stored state back, and anything else as no state', () => {
    const s = run(contact(1, { tags: ['vip'], status: 'open', lifecycle_stage: 'LEAD' }))!;
    expect(crmStateFromJson(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(crmStateFromJson(null)).toBeNull();
    expect(crmStateFromJson('x')).toBeNull();
    expect(crmStateFromJson({ tags: 'a,b', lifecycle_stage: 'nope', status_at: 'soon' })).toEqual({ tags: ['a', 'b'], tags_at: null, status: null, status_at: null, lifecycle_stage: null, lifecycle_changed_at: null });
  });
});
