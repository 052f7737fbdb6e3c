/**
 * GET /v1/orders/{order_id}: the customer of an order, the profile it belongs to now (after a
 * merge, the survivor), only within the key's tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_READ, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('the customer of an order', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers the order and the profile it belongs to now', async () => {
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'ord-1', source: 'pos', type: 'order_completed', occurred_at: '2026-05-02T10:00:00Z', identity: { phone: '+14155550199' }, properties: { order_id: 'R-1001', total_minor: 4250, currency: 'USD' } },
    ]);
    expect(sent.status).toBe(200);
    const order = await waitFor(async () => {
      const r = await t.request('GET', '/v1/orders/R-1001', KEY_A_READ);
      return r.status === 200 ? r.body : null;
    }, 30_000, 'the order in the warehouse');
    expect(order).toMatchObject({ order_id: 'R-1001', amount: 42.5, currency: 'USD', source: 'pos' });
    const byPhone = await t.request('GET', '/v1/profiles?phone=%2B14155550199', KEY_A);
    expect(order.customer360_id).toBe(byPhone.body.customer360_id);

    // The phone's profile merges into the one of a signup carrying phone and email: the order answers the survivor.
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'ord-2', source: 'crm', type: 'contact_created', occurred_at: '2026-05-03T10:00:00Z', identity: { email: 'oona.reyes@mail.test', auth_user_id: 'u-oona' }, traits: { first_name: 'Oona' } },
      { event_id: 'ord-3', source: 'web', type: 'identify', occurred_at: '2026-05-04T10:00:00Z', identity: { auth_user_id: 'u-oona', phone: '+14155550199' } },
    ]);
    const survivor = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=oona.reyes%40mail.test', KEY_A);
      return r.status === 200 && r.body.phones.includes('+14155550199') ? r.body : null;
    }, 30_000, 'the merged profile');
    expect((await t.request('GET', '/v1/orders/R-1001', KEY_A)).body.customer360_id).toBe(survivor.customer360_id);
  });

  it('answers 404 for an unknown order and for another tenant', async () => {
    expect((await t.request('GET', '/v1/orders/NOPE-1', KEY_A)).status).toBe(404);
    expect((await t.request('GET', '/v1/orders/R-1001', KEY_B)).status).toBe(404);
  });
});
