/**
 * The POS and CRM connectors and consent, end to end on the embedded pipeline: orders with line
 * items in minor units, walk-ins captured at the till, anonymous cash sales owning their order,
 * refunds, unknown fields kept, late events, and versioned consent records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const at = (day: number, hour = 12) => new Date(Date.UTC(2026, 2, day, hour)).toISOString();

describe('POS, CRM and consent events end to end', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const rowsOf = async <T>(query: string) => {
    const ch = t.runtime.clickhouse!;
    return (await ch.client.query({ query: query.replaceAll('{db}', ch.database), format: 'JSONEachRow' })).json<T>();
  };
  const profileBy = async (query: string) => {
    const r = await t.request('GET', `/v1/profiles?${query}`, KEY_A);
    return r.status === 200 ? r.body : null;
  };

  it('takes orders with line items in minor units, walk-ins, cash sales and refunds', async () => {
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      {
        // A walk-in captured at the till: a name and a phone, no email.
        event_id: 'pos-walkin-1',
        source: 'pos',
        type: 'order_completed',
        occurred_at: at(1),
        identity: { phone: '(415) 555-0142' },
        traits: { first_name: 'Rosa', last_name: 'Diaz' },
        properties: {
          order_id: 'S1-1001',
          store_id: 'S1',
          register_id: 'R2',
          customer_kind: 'walk_in',
          currency: 'USD',
          subtotal_minor: 2400,
          tax_minor: 198,
          total_minor: 2598,
          payment_method: 'card',
          line_items: [
            { sku: 'MUG-1', name: 'Mug', quantity: 2, unit_price_minor: 900, total_minor: 1800, gift_wrap: true },
            { sku: 'TEA-7', name: 'Tea', quantity: 1, unit_price_minor: 600, total_minor: 600 },
          ],
          receipt_printer: 'EPSON-3',
        },
      },
      {
        // The same person later, at another store, now giving an email too.
        event_id: 'pos-walkin-2',
        source: 'pos',
        type: 'order_completed',
        occurred_at: at(5),
        identity: { phone: '+1 415 555 0142', email: 'rosa.diaz@mail.test' },
        properties: { order_id: 'T9-77', store_id: 'T9', customer_kind: 'walk_in', currency: 'USD', total_minor: 1500, payment_method: 'mobile_wallet' },
      },
      {
        event_id: 'pos-refund-1',
        source: 'pos',
        type: 'order_refunded',
        occurred_at: at(6),
        identity: { phone: '4155550142' },
        properties: { refund_id: 'RF-1', order_id: 'S1-1001', store_id: 'S1', currency: 'USD', amount_minor: 900, reason: 'damaged', line_items: [{ sku: 'MUG-1', quantity: 1, amount_minor: 900 }] },
      },
      {
        // An anonymous cash sale, in a store in Japan: no identifiers at all.
        event_id: 'pos-cash-1',
        source: 'pos',
        type: 'order_completed',
        occurred_at: at(2),
        properties: { order_id: 'TK-1002', store_id: 'TK', customer_kind: 'anonymous', currency: 'JPY', total_minor: 450, payment_method: 'cash' },
      },
      {
        // A bad one in the same batch: amounts in major units, an unknown payment method.
        event_id: 'pos-bad-1',
        source: 'pos',
        type: 'order_completed',
        occurred_at: at(2),
        identity: { phone: '4155550142' },
        properties: { order_id: 'S1-1003', currency: 'USD', total_minor: 12.5, payment_method: 'iou' },
      },
    ]);
    expect(sent.status).toBe(200);
    expect(sent.body.accepted).toBe(4);
    expect(sent.body.results[4]).toEqual({
      index: 4,
      event_id: 'pos-bad-1',
      status: 'rejected',
      errors: [
        { path: '/properties/total_minor', message: 'must be an integer amount in minor units (1299 for 12.99)' },
        { path: '/properties/payment_method', message: 'must be one of cash, card, mobile_wallet, gift_card, voucher, store_credit, bank_transfer, other' },
      ],
    });

    const rosa = await waitFor(async () => {
      const p = await profileBy('email=rosa.diaz%40mail.test');
      return p?.aggregates.events_count === 3 ? p : null;
    }, 20_000, "the walk-in's profile");
    expect(rosa.phones).toEqual(['+14155550142']);
    expect(rosa.traits).toMatchObject({ first_name: 'Rosa', last_name: 'Diaz' });
    expect(rosa.aggregates.orders_count).toBe(2);
    expect(rosa.aggregates.total_revenue).toBeCloseTo(25.98 + 15);

    // The four events travel on different partitions: wait until all are in the warehouse.
    const rows = await waitFor(async () => {
      const r = await rowsOf<{ event_id: string; customer360_id: string; amount: number; currency: string; order_id: string; properties: string }>(
        `SELECT event_id, customer360_id, amount, currency, order_id, properties FROM {db}.events FINAL WHERE event_id LIKE 'pos-%' ORDER BY event_id`,
      );
      return r.length === 4 ? r : null;
    }, 20_000, 'the four POS events in ClickHouse');
    const byId = Object.fromEntries(rows.map((r) => [r.event_id, r]));
    expect(Object.keys(byId)).toEqual(['pos-cash-1', 'pos-refund-1', 'pos-walkin-1', 'pos-walkin-2']);
    expect(byId['pos-refund-1']).toMatchObject({ amount: 9, currency: 'USD', order_id: 'S1-1001' });
    // Unknown fields are kept: at the top of the properties, and in the line's extra map.
    const walkin = JSON.parse(byId['pos-walkin-1']!.properties);
    expect(walkin.receipt_printer).toBe('EPSON-3');
    expect(walkin.line_items[0]).toMatchObject({ sku: 'MUG-1', quantity: 2, extra: { gift_wrap: 'true' } });

    // The cash sale has a profile of its own (an orphan, no identifiers) that owns the order.
    const cash = byId['pos-cash-1']!;
    expect(cash.customer360_id).not.toBe(rosa.customer360_id);
    const orphan = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${cash.customer360_id}`, KEY_A);
      return r.status === 200 && r.body.aggregates.orders_count === 1 ? r.body : null;
    }, 20_000, 'the orphan profile of the cash sale');
    expect(orphan).toMatchObject({ emails: [], phones: [], auth_user_id: null });
    // The yen has no minor unit: 450 minor units are 450 yen.
    expect(cash).toMatchObject({ amount: 450, currency: 'JPY' });
    expect(orphan.aggregates.total_revenue).toBeCloseTo(450);
  });

  it('keeps versioned consent: opt-in, unsubscribe, late opt-out, and the current state by time', async () => {
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      {
        event_id: 'crm-c-1',
        source: 'crm',
        type: 'contact_created',
        occurred_at: at(1),
        identity: { email: 'kim@mail.test', phone: '+1 510 555 0100', source_record_id: 'CRM-9' },
        traits: { first_name: 'Kim' },
        properties: { lifecycle_stage: 'LEAD', tags: ['vip', 'newsletter'] },
      },
      {
        event_id: 'crm-consent-1',
        source: 'crm',
        type: 'consent_changed',
        occurred_at: at(2),
        identity: { source_record_id: 'CRM-9' },
        properties: { scope: 'email', status: 'granted', policy_version: '2026-01', ip: '203.0.113.7', reason: 'signup_form' },
      },
      {
        event_id: 'crm-consent-2',
        source: 'crm',
        type: 'consent_changed',
        occurred_at: at(2),
        identity: { source_record_id: 'CRM-9' },
        properties: { scope: 'sms', status: 'granted', policy_version: '2026-01' },
      },
      {
        event_id: 'msg-unsub-1',
        source: 'messaging',
        type: 'unsubscribed',
        occurred_at: at(10),
        identity: { email: 'KIM@mail.test' },
        properties: { channel: 'email', campaign_id: 'spring', ip: '198.51.100.4' },
      },
    ]);
    expect(sent.body.accepted).toBe(4);
    // Sources arrive on their own topics, so the unsubscribe may be recorded before the opt-in
    // (versions follow the order of recording); the current state follows the time of each change.
    const kim = await waitFor(async () => {
      const p = await profileBy('email=kim%40mail.test');
      return p && Object.keys(p.consent).length === 2 && (await t.request('GET', `/v1/profiles/${p.customer360_id}/consent`, KEY_A)).body.records.length === 3 ? p : null;
    }, 30_000, "Kim's consent");
    const current = (await profileBy('email=kim%40mail.test')).consent;
    expect(current.email).toMatchObject({ status: 'revoked', source: 'messaging' });
    expect(current.sms).toMatchObject({ status: 'granted', policy_version: '2026-01', version: 1 });

    // An opt-out of SMS that happened before the opt-in but arrives late: recorded as version 2,
    // and the current state stays the later opt-in.
    const late = await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'crm-consent-0', source: 'crm', type: 'consent_changed', occurred_at: at(1, 6), identity: { source_record_id: 'CRM-9' }, properties: { scope: 'sms', status: 'revoked' } },
    ]);
    expect(late.body.accepted).toBe(1);
    const history = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${kim.customer360_id}/consent`, KEY_A);
      return r.body.records?.length === 4 ? r.body.records : null;
    }, 30_000, 'the late consent record');
    expect(history.map((c: Record<string, unknown>) => [c.scope, c.status, c.event_type, c.source])).toEqual([
      ['email', 'granted', 'consent_changed', 'crm'],
      ['email', 'revoked', 'unsubscribed', 'messaging'],
      ['sms', 'revoked', 'consent_changed', 'crm'],
      ['sms', 'granted', 'consent_changed', 'crm'],
    ]);
    expect(history.filter((c: { scope: string }) => c.scope === 'email').map((c: { version: number }) => c.version).sort()).toEqual([1, 2]);
    // The late opt-out is the second version recorded for SMS, and does not change the current state.
    expect(history.filter((c: { scope: string }) => c.scope === 'sms').map((c: { version: number }) => c.version)).toEqual([2, 1]);
    expect(history[0]).toMatchObject({ policy_version: '2026-01', ip: '203.0.113.7', reason: 'signup_form' });
    expect((await profileBy('email=kim%40mail.test')).consent.sms.status).toBe('granted');

    // A resend of a consent event is accepted and recorded once.
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'crm-consent-1', source: 'crm', type: 'consent_changed', occurred_at: at(2), identity: { source_record_id: 'CRM-9' }, properties: { scope: 'email', status: 'granted' } },
      { event_id: 'crm-marker', source: 'crm', type: 'note_added', occurred_at: at(11), identity: { source_record_id: 'CRM-9' }, properties: { note_id: 'n1', body: 'Called about the order' } },
    ]);
    await waitFor(async () => (await profileBy('email=kim%40mail.test'))?.aggregates.events_count === 6, 30_000, 'the marker note');
    const after = await t.request('GET', `/v1/profiles/${kim.customer360_id}/consent`, KEY_A);
    expect(after.body.records).toHaveLength(4);

    // Another tenant sees none of it.
    expect((await t.request('GET', `/v1/profiles/${kim.customer360_id}/consent`, 'key_tenant_b_0002')).status).toBe(404);
  });
});
