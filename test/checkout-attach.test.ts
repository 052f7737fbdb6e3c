/**
 * Checkout attach: an event that names the customer360_id a cashier picked from the directory
 * joins that profile (rule customer360_id), a merged-away ID its survivor, unless merge safety
 * refuses (another auth user ID); an ID the tenant does not have is ignored; the order answers
 * its customer.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('an event that names its profile', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const profileBy = async (query: string, key = KEY_A) => {
    const r = await t.request('GET', `/v1/profiles?${query}`, key);
    return r.status === 200 ? r.body : null;
  };
  const order = (id: string, extra: Record<string, unknown>) => ({
    event_id: id,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-06-01T12:00:00Z',
    identity: {},
    properties: { order_id: `O-${id}`, total_minor: 1500, currency: 'EUR' },
    ...extra,
  });
  const orderCustomer = (id: string) =>
    waitFor(async () => {
      const r = await t.request('GET', `/v1/orders/O-${id}`, KEY_A);
      return r.status === 200 ? r.body.customer360_id : null;
    }, 30_000, `the order O-${id}`);
  const ruleOf = async (profileId: string, eventId: string) =>
    waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${profileId}/timeline`, KEY_A);
      return r.body.events?.find((e: { event_id: string }) => e.event_id === eventId)?.matched_rule ?? null;
    }, 30_000, `the event ${eventId} on the timeline`);

  it('joins the named profile, with a new email the cashier typed, and the order answers it', async () => {
    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'ca-1', source: 'crm', type: 'contact_created', occurred_at: '2026-05-01T10:00:00Z', identity: { email: 'ada@attach.test' }, traits: { first_name: 'Ada' } }]);
    const ada = await waitFor(() => profileBy('email=ada%40attach.test'), 30_000, 'Ada');

    await t.request('POST', '/v1/events', KEY_A, [order('ca-2', { customer360_id: ada.customer360_id, identity: { email: 'ada.work@attach.test' } })]);
    expect(await orderCustomer('ca-2')).toBe(ada.customer360_id);
    expect(await ruleOf(ada.customer360_id, 'ca-2')).toBe('customer360_id');
    expect((await profileBy('email=ada.work%40attach.test'))?.customer360_id).toBe(ada.customer360_id);
    // Another tenant cannot name it: there the ID is unknown, and the order makes a profile of its own.
    await t.request('POST', '/v1/events', KEY_B, [order('ca-b', { customer360_id: ada.customer360_id, identity: { phone: '+33 6 12 34 56 78' } })]);
    const other = await waitFor(() => profileBy('phone=%2B33612345678', KEY_B), 30_000, "tenant B's profile");
    expect(other.customer360_id).not.toBe(ada.customer360_id);
  });

  it('follows a merged-away ID to its survivor', async () => {
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'ca-3', source: 'web', type: 'page_viewed', occurred_at: '2026-05-01T10:00:00Z', identity: { phone: '+44 7911 123456' }, properties: { url: '/' } },
    ]);
    const byPhone = await waitFor(() => profileBy('phone=%2B447911123456'), 30_000, 'the phone profile');
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'ca-4', source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T10:00:00Z', identity: { email: 'bea@attach.test' }, traits: { first_name: 'Bea' } },
    ]);
    await waitFor(() => profileBy('email=bea%40attach.test'), 30_000, 'Bea');
    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'ca-5', source: 'crm', type: 'contact_updated', occurred_at: '2026-05-02T10:00:00Z', identity: { email: 'bea@attach.test', phone: '+44 7911 123456' } }]);
    const merged = await waitFor(async () => {
      const p = await profileBy('email=bea%40attach.test');
      return p?.merged_ids.length ? p : null;
    }, 30_000, 'the merge');
    const goneId: string = merged.merged_ids[0];
    expect(goneId).not.toBe(merged.customer360_id);
    expect([merged.customer360_id, goneId]).toContain(byPhone.customer360_id);
    await t.request('POST', '/v1/events', KEY_A, [order('ca-6', { customer360_id: goneId })]);
    expect(await orderCustomer('ca-6')).toBe(merged.customer360_id);
  });

  it('refuses what merge safety refuses, and ignores an ID the tenant does not have', async () => {
    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'ca-7', source: 'web', type: 'identify', occurred_at: '2026-05-01T10:00:00Z', identity: { auth_user_id: 'u-cleo', email: 'cleo@attach.test' } }]);
    const cleo = await waitFor(() => profileBy('email=cleo%40attach.test'), 30_000, 'Cleo');
    // Another signed-in person's order names Cleo: different auth user IDs never merge.
    await t.request('POST', '/v1/events', KEY_A, [order('ca-8', { customer360_id: cleo.customer360_id, identity: { auth_user_id: 'u-dan' } })]);
    const dan = await orderCustomer('ca-8');
    expect(dan).not.toBe(cleo.customer360_id);
    expect((await profileBy('auth_user_id=u-dan'))?.customer360_id).toBe(dan);
    expect((await profileBy('email=cleo%40attach.test'))?.auth_user_id).toBe('u-cleo');
    const blocked = await t.db.pool.query<{ reason: string }>('SELECT reason FROM blocked_merges WHERE tenant_id = $1 AND event_id = $2', ['tenant_a', 'ca-8']);
    expect(blocked.rows.map((r) => r.reason)).toEqual(['different auth user IDs']);

    // Named by an ID nobody has: resolved by its identifiers alone.
    await t.request('POST', '/v1/events', KEY_A, [order('ca-9', { customer360_id: randomUUID(), identity: { email: 'cleo@attach.test' } })]);
    expect(await orderCustomer('ca-9')).toBe(cleo.customer360_id);
    expect(await ruleOf(cleo.customer360_id, 'ca-9')).toBe('email');
    // Not an ID at all: refused at ingest, naming the field.
    const bad = await t.request('POST', '/v1/events', KEY_A, [order('ca-10', { customer360_id: 'cust-17' })]);
    expect(bad.body.results[0]).toMatchObject({ status: 'rejected', errors: [expect.objectContaining({ path: '/customer360_id' })] });
  });
});
