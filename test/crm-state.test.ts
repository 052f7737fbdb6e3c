/**
 * CRM state on the profile, on the embedded pipeline: a contact's tags as a set, its status and
 * the stage the CRM states, beside the behavioural one; tags_changed and lifecycle_changed; two
 * CRM records of one person (their tags together); contact_deleted takes the CRM ID and its
 * state off the profile; customer360 carries it all and a segment on `tags contains "vip"`
 * selects by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 9, minute)).toISOString();

describe('CRM state on the profile', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const crm = (id: string, type: string, minute: number, recordId: string, properties: Record<string, unknown>, identity: Record<string, string> = {}) => ({
    event_id: id,
    source: 'crm',
    type,
    occurred_at: at(minute),
    identity: { source_record_id: recordId, ...identity },
    properties,
  });
  const profileOf = async (email: string, key = KEY_A) => {
    const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, key);
    return r.status === 200 ? r.body : null;
  };
  const settled = (email: string, check: (p: any) => boolean, what: string) =>
    waitFor(async () => {
      const p = await profileOf(email);
      return p && check(p) ? p : null;
    }, 30_000, what);

  it('keeps tags as a set, the status and the CRM stage, and changes them in order', async () => {
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      crm('crm-ann-1', 'contact_created', 1, 'C-ANN', { lifecycle_stage: 'LEAD', status: 'open', tags: ['vip', 'newsletter', 'vip'] }, { email: 'ann@crm.test' }),
      crm('crm-ann-2', 'tags_changed', 2, 'C-ANN', { added: ['beta'], removed: ['newsletter'] }),
      crm('crm-ann-3', 'lifecycle_changed', 3, 'C-ANN', { stage: 'CUSTOMER', previous_stage: 'LEAD' }),
      // Late: older than the stage the record holds, so it changes nothing.
      crm('crm-ann-late', 'lifecycle_changed', 0, 'C-ANN', { stage: 'SUBSCRIBER' }),
    ]);
    expect(sent.status).toBe(200);
    const ann = await settled('ann@crm.test', (p) => p.crm_lifecycle_stage === 'CUSTOMER' && p.tags.includes('beta'), "Ann's CRM state");
    expect(ann).toMatchObject({
      tags: ['beta', 'vip'],
      crm_status: 'open',
      crm_lifecycle_stage: 'CUSTOMER',
      crm_lifecycle_changed_at: at(3),
      source_ids: { crm: ['C-ANN'] },
    });
    // The tags are no trait of the person, and the profile's other tenant sees nothing.
    expect(ann.traits).not.toHaveProperty('tags');
    expect(await profileOf('ann@crm.test', KEY_B)).toBeNull();
  });

  it('joins the tags of two CRM records of one person, and a deleted record takes its own away', async () => {
    await t.request('POST', '/v1/events', KEY_A, [
      crm('crm-bo-1', 'contact_created', 1, 'C-BO-1', { status: 'qualified', lifecycle_stage: 'PROSPECT', tags: ['vip'] }, { email: 'bo@crm.test' }),
      crm('crm-bo-2', 'contact_created', 2, 'C-BO-2', { status: 'open', tags: ['wholesale'] }, { email: 'bo@crm.test', phone: '+47 912 34 567' }),
    ]);
    const both = await settled('bo@crm.test', (p) => p.source_ids.crm?.length === 2 && p.tags.length === 2, "Bo's two records");
    expect(both).toMatchObject({ tags: ['vip', 'wholesale'], crm_status: 'open', crm_lifecycle_stage: 'PROSPECT' });
    expect([...both.source_ids.crm].sort()).toEqual(['C-BO-1', 'C-BO-2']);

    // The CRM deletes the first record (merged into the second on its side).
    expect((await t.request('POST', '/v1/events', KEY_A, [crm('crm-bo-del', 'contact_deleted', 5, 'C-BO-1', { reason: 'merged' })])).status).toBe(200);
    const after = await settled('bo@crm.test', (p) => p.source_ids.crm?.length === 1, 'the deleted record detached');
    expect(after).toMatchObject({ customer360_id: both.customer360_id, source_ids: { crm: ['C-BO-2'] }, tags: ['wholesale'], crm_status: 'open', crm_lifecycle_stage: null });
    expect(after.emails).toEqual(['bo@crm.test']);
    // The deleted CRM ID no longer finds the profile.
    expect((await t.request('GET', '/v1/profiles?source=crm&source_record_id=C-BO-1', KEY_A)).status).toBe(404);
  });

  it('carries the CRM state into customer360, where a segment on tags selects by it', async () => {
    await t.request('POST', '/v1/events', KEY_A, [
      crm('crm-cy-1', 'contact_created', 1, 'C-CY', { lifecycle_stage: 'MEMBER', status: 'active', tags: ['VIP'] }, { email: 'cy@crm.test' }),
      crm('crm-di-1', 'contact_created', 1, 'C-DI', { lifecycle_stage: 'LEAD', tags: ['vip', 'early'] }, { email: 'di@crm.test' }),
    ]);
    const rows = await waitFor(async () => {
      const r = await t.request('POST', '/v1/sql', KEY_A, {
        query: "SELECT primary_email, tags, crm_status, crm_lifecycle_stage FROM customer360 WHERE primary_email IN ('ann@crm.test', 'bo@crm.test', 'cy@crm.test', 'di@crm.test') ORDER BY primary_email",
      });
      return r.status === 200 && r.body.rows.length === 4 && r.body.rows.every((row: any) => row.tags.length > 0) ? r.body.rows : null;
    }, 30_000, 'the CRM state in customer360');
    expect(rows).toEqual([
      { primary_email: 'ann@crm.test', tags: ['beta', 'vip'], crm_status: 'open', crm_lifecycle_stage: 'CUSTOMER' },
      { primary_email: 'bo@crm.test', tags: ['wholesale'], crm_status: 'open', crm_lifecycle_stage: null },
      { primary_email: 'cy@crm.test', tags: ['VIP'], crm_status: 'active', crm_lifecycle_stage: 'MEMBER' },
      { primary_email: 'di@crm.test', tags: ['early', 'vip'], crm_status: null, crm_lifecycle_stage: 'LEAD' },
    ]);

    const created = await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'crm-vip', name: 'VIP', rule: { field: 'tags', op: 'contains', value: 'vip' } });
    expect(created.status).toBe(200);
    expect(created.body.members).toBe(2);
    const members = await t.request('GET', '/v1/segments/crm-vip/members', KEY_A);
    expect(members.body.members.map((m: { primary_email: string }) => m.primary_email).sort()).toEqual(['ann@crm.test', 'di@crm.test']);
  });
});
