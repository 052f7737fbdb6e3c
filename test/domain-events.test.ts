/**
 * The domain events on the profile-changes topic, read back from the embedded log as a
 * downstream consumer would: registered (the first auth user ID), consent_updated (the version),
 * deleted and restored (soft delete), loyalty_tier_changed (IDs and tiers only) and erased (every
 * profile ID of the person, no personal data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileChange } from '../schemas/types.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('domain events on the profile-changes topic', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const published = async (): Promise<ProfileChange[]> => {
    const rows = await t.db.pool.query<{ value: Buffer }>('SELECT value FROM transport_log WHERE topic = $1 ORDER BY "offset"', [t.runtime.topics.profileChanges]);
    return Promise.all(rows.rows.map((r) => t.runtime.codec.decode<ProfileChange>(t.runtime.topics.profileChanges, r.value)));
  };
  const of = async (id: string, kind: ProfileChange['kind']) => (await published()).filter((c) => (c.customer360_id === id || c.merged_ids.includes(id)) && c.kind === kind);
  const send = async (events: unknown[]) => expect((await t.request('POST', '/v1/events', KEY_A, events)).status).toBe(200);
  const profileOf = async (email: string) => {
    const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, KEY_A);
    return r.status === 200 ? r.body : null;
  };

  it('says registered once, when a profile gets its first auth user ID', async () => {
    await send([{ event_id: 'de-1', source: 'web', type: 'page_viewed', occurred_at: ago(3), identity: { email: 'reg@de.test' }, properties: { url: '/' } }]);
    const before = await waitFor(() => profileOf('reg@de.test'), 30_000, 'the visitor');
    expect(await of(before.customer360_id, 'registered')).toEqual([]);

    await send([
      { event_id: 'de-2', source: 'web', type: 'identify', occurred_at: ago(2), identity: { email: 'reg@de.test', auth_user_id: 'auth-reg-1' }, traits: {} },
      { event_id: 'de-3', source: 'web', type: 'identify', occurred_at: ago(1), identity: { auth_user_id: 'auth-reg-1' }, traits: { first_name: 'Rei' } },
    ]);
    const registered = await waitFor(async () => ((await of(before.customer360_id, 'registered')).length ? await of(before.customer360_id, 'registered') : null), 30_000, 'registered');
    await waitFor(async () => (await profileOf('reg@de.test'))?.traits.first_name === 'Rei', 30_000, 'the second identify');
    expect(await of(before.customer360_id, 'registered')).toHaveLength(1);
    expect(registered[0]).toMatchObject({ customer360_id: before.customer360_id, auth_user_id: 'auth-reg-1', emails: ['reg@de.test'] });
  });

  it('says consent_updated with the version the event recorded', async () => {
    const granted = ago(5);
    const revoked = ago(4);
    await send([
      { event_id: 'de-c1', source: 'crm', type: 'consent_changed', occurred_at: granted, identity: { email: 'con@de.test' }, properties: { scope: 'email', status: 'granted', policy_version: 'v7' } },
      { event_id: 'de-c2', source: 'messaging', type: 'unsubscribed', occurred_at: revoked, identity: { email: 'con@de.test' }, properties: { channel: 'email', campaign_id: 'x' } },
    ]);
    const profile = await waitFor(() => profileOf('con@de.test'), 30_000, 'the profile');
    const updates = await waitFor(async () => ((await of(profile.customer360_id, 'consent_updated')).length === 2 ? await of(profile.customer360_id, 'consent_updated') : null), 30_000, 'two consent updates');
    expect(updates.map((u) => u.consent)).toEqual([
      { scope: 'email', status: 'granted', policy_version: 'v7', occurred_at: Date.parse(granted), source: 'crm', event_id: 'de-c1' },
      { scope: 'email', status: 'revoked', policy_version: null, occurred_at: Date.parse(revoked), source: 'messaging', event_id: 'de-c2' },
    ]);
    expect(updates[0]!.emails).toEqual(['con@de.test']);
  });

  it('says deleted and restored for a soft delete', async () => {
    await send([{ event_id: 'de-d1', source: 'web', type: 'page_viewed', occurred_at: ago(1), identity: { email: 'del@de.test' }, properties: { url: '/' } }]);
    const profile = await waitFor(() => profileOf('del@de.test'), 30_000, 'the profile');
    expect((await t.request('DELETE', `/v1/profiles/${profile.customer360_id}`, KEY_A)).status).toBe(200);
    expect((await t.request('POST', `/v1/profiles/${profile.customer360_id}/restore`, KEY_A)).status).toBe(200);
    const [deleted] = await of(profile.customer360_id, 'deleted');
    const [restored] = await of(profile.customer360_id, 'restored');
    expect(deleted).toMatchObject({ deleted: true, emails: ['del@de.test'] });
    expect(restored).toMatchObject({ deleted: false, emails: ['del@de.test'] });
  });

  it('says loyalty_tier_changed with the tiers and nothing of the person', async () => {
    const order = (id: string, totalMinor: number, days: number) => ({
      event_id: id,
      source: 'pos',
      type: 'order_completed',
      occurred_at: ago(days),
      identity: { email: 'loy@de.test' },
      properties: { order_id: id, total_minor: totalMinor, currency: 'USD' },
    });
    await send([order('de-o1', 10_000, 20)]);
    const first = await waitFor(async () => ((await profileOf('loy@de.test'))?.aggregates.loyalty_tier === 'BRONZE' ? profileOf('loy@de.test') : null), 30_000, 'a bronze customer');
    await send([order('de-o2', 60_000, 2)]);
    const [move] = await waitFor(async () => ((await of(first.customer360_id, 'loyalty_tier_changed')).length ? of(first.customer360_id, 'loyalty_tier_changed') : null), 30_000, 'the tier move');
    expect(move).toMatchObject({ customer360_id: first.customer360_id, version: 0, emails: [], phones: [], traits: {}, source_ids: {}, auth_user_id: null });
    expect(move!.loyalty).toMatchObject({ tier: 'SILVER', previous_tier: 'BRONZE' });
    expect((await profileOf('loy@de.test')).aggregates.loyalty_tier).toBe('SILVER');
  });

  it('says erased with every profile ID of the person and no personal data', async () => {
    await send([
      { event_id: 'de-e1', source: 'web', type: 'page_viewed', occurred_at: ago(3), identity: { email: 'era@de.test' }, properties: { url: '/' } },
      { event_id: 'de-e2', source: 'web', type: 'page_viewed', occurred_at: ago(3), identity: { phone: '+47 415 55 123' }, properties: { url: '/' } },
    ]);
    await waitFor(() => profileOf('era@de.test'), 30_000, 'the first profile');
    await send([{ event_id: 'de-e3', source: 'crm', type: 'contact_created', occurred_at: ago(2), identity: { email: 'era@de.test', phone: '+47 415 55 123' }, traits: { first_name: 'Eri' } }]);
    const merged = await waitFor(async () => ((await profileOf('era@de.test'))?.merged_ids.length === 1 ? profileOf('era@de.test') : null), 30_000, 'the merge');
    expect((await t.request('POST', `/v1/profiles/${merged.customer360_id}/erase`, KEY_A)).status).toBe(200);
    const erased = await of(merged.customer360_id, 'erased');
    expect(erased).toHaveLength(1);
    expect(erased[0]).toMatchObject({ customer360_id: merged.customer360_id, merged_ids: merged.merged_ids, emails: [], phones: [], traits: {}, source_ids: {}, auth_user_id: null, tags: [] });
    // Nothing the person sent is in it.
    const text = JSON.stringify(erased[0]);
    expect(text).not.toContain('era@de.test');
    expect(text).not.toContain('Eri');
  });
});
