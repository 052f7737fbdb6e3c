/**
 * Commerce and engagement aggregates in ClickHouse (chDB, or CLICKHOUSE_URL): every field of a
 * profile computed on hand-made events, across a merge, with a redelivery and another tenant.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from './support/engines.ts';
import { migrateClickHouse } from '../platform/migrate.ts';
import { clickhouseMigrations } from '../app/migrations.ts';
import { createWarehouseWriter } from '../warehouse/writer.ts';
import { createAggregateComputer } from '../enrich/compute-aggregates.ts';
import { recomputeEverything } from '../enrich/schedule.ts';
import { createModelStore } from '../enrich/score-profiles.ts';
import { DEFAULT_BG_NBD, customerLifetimeValue, defaultGammaGamma, expectedPurchases, pAlive, probabilityOfPurchase } from '../enrich/scores/index.ts';
import { createSegmentStore } from '../enrich/segments/store.ts';
import { createLogger } from '../platform/logger.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';

const at = (iso: string) => Date.parse(iso);

function event(tenant: string, profile: string, source: string, type: string, iso: string, properties: Record<string, string> = {}): ResolvedEvent {
  return {
    event_id: randomUUID(),
    tenant_id: tenant,
    customer360_id: profile,
    confidence: 1,
    matched_rule: 'email',
    source,
    type,
    occurred_at: at(iso),
    received_at: at(iso) + 1000,
    properties,
  } as ResolvedEvent;
}

function change(tenant: string, id: string, kind: ProfileChange['kind'], merged: string[] = []): ProfileChange {
  return {
    change_id: randomUUID(),
    kind,
    tenant_id: tenant,
    customer360_id: id,
    merged_ids: merged,
    changed_at: Date.now(),
    version: 1,
    emails: [],
    phones: [],
    auth_user_id: null,
    source_ids: {},
    traits: {},
    created_at: at('2026-01-01T00:00:00Z'),
    deleted: false,
    tags: [],
    crm_status: null,
    crm_lifecycle_stage: null,
    crm_lifecycle_changed_at: null,
    consent: null,
    loyalty: null,
  };
}

describe('profile aggregates (ClickHouse)', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await createTestClickHouse();
    await migrateClickHouse(ch.client, ch.database, clickhouseMigrations());
  });
  afterAll(async () => {
    await ch?.drop();
  });

  it('computes every commerce and engagement field of a profile and of the profile merged into it', async () => {
    const writer = createWarehouseWriter(ch);
    const computer = createAggregateComputer(ch, { models: createModelStore(ch) });
    const tenant = 'tenant_agg';
    const a = randomUUID();
    const b = randomUUID();
    const firstOrder = event(tenant, a, 'pos', 'order_completed', '2026-01-10T12:00:00Z', { order_id: 'o1', amount: '100', currency: 'EUR' });
    const events = [
      firstOrder,
      event(tenant, a, 'pos', 'order_completed', '2026-06-20T12:00:00Z', { order_id: 'o2', amount: '50', currency: 'EUR' }),
      event(tenant, a, 'pos', 'order_refunded', '2026-06-21T12:00:00Z', { order_id: 'o2', amount: '20', currency: 'EUR' }),
      // Web: 10:00 and 10:10 one session, 11:00 a second one (50 minutes later), March a third.
      event(tenant, a, 'web', 'page_viewed', '2026-06-20T10:00:00Z'),
      event(tenant, a, 'web', 'page_viewed', '2026-06-20T10:10:00Z'),
      event(tenant, a, 'web', 'page_viewed', '2026-06-20T11:00:00Z'),
      event(tenant, a, 'web', 'page_viewed', '2026-03-01T09:00:00Z'),
      // On the profile merged into a later.
      event(tenant, b, 'messaging', 'message_opened', '2026-06-25T08:00:00Z', { channel: 'email' }),
      event(tenant, b, 'messaging', 'message_clicked', '2026-06-25T08:01:00Z', { channel: 'email' }),
      event(tenant, b, 'messaging', 'message_sent', '2026-05-01T08:00:00Z', { channel: 'push' }),
      event(tenant, b, 'messaging', 'message_sent', '2026-06-26T08:00:00Z', { channel: 'email' }),
      event(tenant, b, 'crm', 'support_ticket_created', '2026-04-02T15:00:00Z'),
      // Consent: email granted then unsubscribed (revoked), SMS stopped, push granted.
      event(tenant, a, 'crm', 'consent_changed', '2026-02-01T09:00:00Z', { scope: 'email', status: 'granted' }),
      event(tenant, b, 'messaging', 'unsubscribed', '2026-02-15T09:00:00Z', { channel: 'email' }),
      event(tenant, b, 'messaging', 'sms_stop', '2026-02-16T09:00:00Z', { keyword: 'STOP' }),
      event(tenant, a, 'web', 'consent_changed', '2026-02-17T09:00:00Z', { scope: 'push', status: 'granted' }),
    ];
    await writer.writeProfileChanges([change(tenant, a, 'created'), change(tenant, b, 'created')]);
    await writer.writeEvents(events);
    await writer.writeEvents([firstOrder]); // a redelivery counts once
    await writer.writeProfileChanges([change(tenant, a, 'merged', [b])]);
    // Another tenant's events on the same profile IDs count nowhere else.
    await writer.writeProfileChanges([change('tenant_other', a, 'created')]);
    await writer.writeEvents([event('tenant_other', a, 'pos', 'order_completed', '2026-06-20T12:00:00Z', { order_id: 'x', amount: '999' })]);

    const [row] = await computer.recompute(tenant, [b], new Date('2026-06-30T00:00:00Z'));
    expect(row).toEqual({
      customer360_id: a,
      orders_count: 2,
      total_revenue: 150,
      average_order_value: 75,
      refunds_count: 1,
      refunds_amount: 20,
      net_revenue: 130,
      first_purchase_at: '2026-01-10 12:00:00.000',
      last_purchase_at: '2026-06-20 12:00:00.000',
      events_count: 16,
      first_seen_at: '2026-01-10 12:00:00.000',
      last_seen_at: '2026-06-26 08:00:00.000',
      last_channel: 'email',
      interactions_count: 14,
      email_opens: 1,
      email_clicks: 1,
      pushes_sent: 1,
      support_tickets: 1,
      last_support_at: '2026-04-02 15:00:00.000',
      // The web consent change of February 17 is a web event too: a session of its own.
      sessions_count: 4,
      sessions_30d: 2,
      events_30d: 8,
      orders_30d: 1,
      revenue_30d: 50,
      opens_30d: 1,
      clicks_30d: 1,
      consent: { email: 'revoked', sms: 'revoked', push: 'granted' },
      spend_12m: 130,
      repeat_purchases: 1,
      // Scores, with the default models (a tenant of one customer is not fitted): x = 1 repeat
      // purchase, tx = 161 days (January 10 to June 20), T = 170.5 days (to June 30, 00:00).
      p_alive: expect.closeTo(pAlive(DEFAULT_BG_NBD, { x: 1, tx: 161, T: 170.5 }), 6),
      churn_risk: expect.closeTo(1 - pAlive(DEFAULT_BG_NBD, { x: 1, tx: 161, T: 170.5 }), 6),
      expected_purchases_12m: expect.closeTo(expectedPurchases(DEFAULT_BG_NBD, { x: 1, tx: 161, T: 170.5 }, 365), 6),
      propensity_to_buy: expect.closeTo(probabilityOfPurchase(DEFAULT_BG_NBD, { x: 1, tx: 161, T: 170.5 }, 30), 6),
      predicted_ltv_12m: expect.closeTo(customerLifetimeValue(DEFAULT_BG_NBD, defaultGammaGamma(75), { x: 1, tx: 161, T: 170.5, m: 75 }, { horizon: 365 }), 2),
      ltv: expect.closeTo(130 + customerLifetimeValue(DEFAULT_BG_NBD, defaultGammaGamma(75), { x: 1, tx: 161, T: 170.5, m: 75 }, { horizon: 365 }), 2),
      engagement_score: expect.any(Number),
      lifecycle_stage: 'CUSTOMER',
      inactive_24m: false,
      loyalty_tier: 'BRONZE',
      loyalty_points: 130,
      // The Customer 360 fields (test/customer360-fields.test.ts has their own cases): events from
      // every source, so the CRM first by the default priority; no date of birth; push is the only
      // channel granted (a push sent is no engagement); free-form orders without line items.
      primary_source: 'crm',
      age: null,
      preferred_channel: 'push',
      opt_in_status: 'opted_in',
      consent_scopes: ['push'],
      interests: [],
      recommendation_vector: {},
    });
    expect(row!.engagement_score).toBeGreaterThan(0);
    expect(row!.engagement_score).toBeLessThan(100);
    // Stored for the profile, read back as written.
    const stored = await ch.client.query({
      query: `SELECT orders_count, sessions_count, last_channel FROM ${ch.database}.profile_aggregates FINAL WHERE tenant_id = {t:String} AND customer360_id = {id:UUID}`,
      query_params: { t: tenant, id: a },
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([{ orders_count: 2, sessions_count: 4, last_channel: 'email' }]);
    // The daily counters kept by the materialized view agree, the redelivery counted once and the
    // merged profile's days attributed to the survivor; the other tenant's order stays its own.
    const daily = await ch.client.query({
      query: `SELECT tenant_id, toString(customer360_id) AS id, toUInt32(count()) AS days, toUInt32(sum(events_count)) AS events_count,
                     toUInt32(sum(orders_count)) AS orders_count, sum(revenue) AS total_revenue, toUInt32(sum(refunds_count)) AS refunds_count,
                     sum(refunds_amount) AS refunds_amount, toUInt32(sum(email_opens)) AS email_opens, toUInt32(sum(email_clicks)) AS email_clicks,
                     toUInt32(sum(pushes_sent)) AS pushes_sent, toUInt32(sum(support_tickets)) AS support_tickets,
                     min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at
              FROM ${ch.database}.profile_daily_activity GROUP BY tenant_id, id ORDER BY tenant_id`,
      format: 'JSONEachRow',
    });
    const counters = ['events_count', 'orders_count', 'total_revenue', 'refunds_count', 'refunds_amount', 'email_opens', 'email_clicks', 'pushes_sent', 'support_tickets', 'first_seen_at', 'last_seen_at'] as const;
    expect(await daily.json()).toEqual([
      { tenant_id: tenant, id: a, days: 12, ...Object.fromEntries(counters.map((k) => [k, row![k]])) },
      expect.objectContaining({ tenant_id: 'tenant_other', id: a, days: 1, orders_count: 1, total_revenue: 999 }),
    ]);
    // The customer360 view: one row per current customer, every field, segments ranked by priority.
    const db = ch.database;
    const now = '2026-06-30 00:00:00.000';
    const RULE = JSON.stringify({ all: [{ field: 'orders_count', op: '>=', value: 1 }] });
    await ch.client.insert({
      table: `${db}.segments`,
      format: 'JSONEachRow',
      values: [
        { tenant_id: tenant, segment_id: 'big_spenders', name: 'Big spenders', priority: 20, rule: RULE, changed_at: now },
        { tenant_id: tenant, segment_id: 'recent', name: 'Recent buyers', priority: 10, rule: RULE, changed_at: now },
        { tenant_id: tenant, segment_id: 'gone', name: 'Deleted', priority: 1, rule: RULE, deleted: true, changed_at: now },
      ],
    });
    await ch.client.insert({
      table: `${db}.segment_membership`,
      format: 'JSONEachRow',
      values: ['big_spenders', 'recent', 'gone'].map((segment_id) => ({ tenant_id: tenant, segment_id, customer360_id: a, is_member: true, changed_at: now })),
    });
    const view = await ch.client.query({
      query: `SELECT toString(customer360_id) AS id, orders_count, net_revenue, sessions_count, consent, segments, primary_segment FROM ${db}.customer360 WHERE tenant_id = {t:String}`,
      query_params: { t: tenant },
      format: 'JSONEachRow',
    });
    expect(await view.json()).toEqual([
      { id: a, orders_count: 2, net_revenue: 130, sessions_count: 4, consent: { email: 'revoked', sms: 'revoked', push: 'granted' }, segments: ['big_spenders', 'recent'], primary_segment: 'recent' },
    ]);

    const [other] = await computer.recompute('tenant_other', [a], new Date('2026-06-30T00:00:00Z'));
    expect(other).toMatchObject({ orders_count: 1, total_revenue: 999, events_count: 1, sessions_count: 0, last_channel: 'pos' });

    // The schedule, half a year later: the 30-day counters have rolled to zero for every tenant,
    // and a segment on them is recalculated for everyone.
    const segments = createSegmentStore(ch);
    await segments.save(tenant, { segment_id: 'active_30d', name: 'Active this month', priority: 5, rule: { all: [{ field: 'events_30d', op: '>', value: 0 }] } });
    expect((await segments.get(tenant, 'active_30d'))?.members).toBe(1);
    const done = await recomputeEverything({ clickhouse: ch, aggregates: computer, segments, logger: createLogger('silent') }, new Date('2027-01-01T00:00:00Z'));
    expect(done).toEqual({ [tenant]: 1, tenant_other: 1 });
    const rolled = await ch.client.query({
      query: `SELECT tenant_id, events_30d, orders_30d, sessions_30d FROM ${db}.profile_aggregates FINAL ORDER BY tenant_id`,
      format: 'JSONEachRow',
    });
    expect(await rolled.json()).toEqual([
      { tenant_id: tenant, events_30d: 0, orders_30d: 0, sessions_30d: 0 },
      { tenant_id: 'tenant_other', events_30d: 0, orders_30d: 0, sessions_30d: 0 },
    ]);
    expect((await segments.get(tenant, 'active_30d'))?.members).toBe(0);
  });
});
