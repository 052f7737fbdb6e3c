/**
 * The Customer 360 fields (primary source, age, preferred channel, opt-in status, consent
 * scopes, interests, recommendation vector) on the embedded runtime's engines:
 * - on hand-made events written to its ClickHouse and recomputed at a fixed time, every field of
 *   every case known in advance: ties, nothing granted, partial dates, no purchases, the limit of
 *   20 interests, the recency weights, the tenant's source priority; the customer360 view and a
 *   segment on the new fields;
 * - end to end: events sent with POST /v1/events become those fields in the profile's answer and
 *   the view; the source priority is read and written by /v1/identity/settings.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_READ, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { createWarehouseWriter } from '../warehouse/writer.ts';
import { createAggregateComputer } from '../enrich/compute-aggregates.ts';
import { compileSegmentRule } from '../enrich/segments/compile.ts';
import { CUSTOMER360_FIELDS, type SegmentRule } from '../enrich/segments/rules.ts';
import { createGraphStore } from '../resolver/graph-store.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';

const NOW = new Date('2026-06-30T00:00:00Z');
const DAY = 86_400_000;
const daysBefore = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

describe('the Customer 360 fields', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('computed on hand-made events', () => {
    const tenant = 'tenant_c360_fields';
    const event = (profile: string, source: string, type: string, iso: string, typed: Record<string, unknown> | null = null, properties: Record<string, unknown> = {}): ResolvedEvent =>
      ({
        event_id: randomUUID(),
        tenant_id: tenant,
        customer360_id: profile,
        confidence: 1,
        matched_rule: 'email',
        source,
        type,
        occurred_at: Date.parse(iso),
        received_at: Date.parse(iso) + 1000,
        properties,
        ...(typed ? { [type]: typed } : {}),
      }) as unknown as ResolvedEvent;
    const profile = (id: string, traits: Record<string, string> = {}, tags: string[] = []): ProfileChange => ({
      change_id: randomUUID(),
      kind: 'created',
      tenant_id: tenant,
      customer360_id: id,
      merged_ids: [],
      changed_at: NOW.getTime() - DAY,
      version: 1,
      emails: [],
      phones: [],
      auth_user_id: null,
      source_ids: {},
      traits,
      created_at: Date.parse('2025-01-01T00:00:00Z'),
      deleted: false,
      tags,
      crm_status: null,
      crm_lifecycle_stage: null,
      crm_lifecycle_changed_at: null,
      consent: null,
      loyalty: null,
    });
    // Typed records, as ingest makes them.
    const consent = (id: string, scope: string, status: 'granted' | 'revoked', iso: string, source = 'crm') =>
      event(id, source, 'consent_changed', iso, { scope: ['email', 'sms', 'push', 'whatsapp'].includes(scope) ? scope : null, other_scope: ['email', 'sms', 'push', 'whatsapp'].includes(scope) ? null : scope, status, policy_version: null, ip: null, reason: null });
    const message = (id: string, type: string, channel: string, iso: string) => event(id, 'messaging', type, iso, { message_id: randomUUID(), channel });
    const line = (category: string | null, totalMinor: number) => ({ sku: null, name: null, category, quantity: 1, unit_price_minor: totalMinor, discount_minor: null, total_minor: totalMinor, extra: {} });
    const order = (id: string, iso: string, currency: string, lines: ReturnType<typeof line>[]) =>
      event(id, 'pos', 'order_completed', iso, { order_id: randomUUID(), currency, total_minor: lines.reduce((a, l) => a + l.total_minor, 0), line_items: lines });
    const view = (id: string, iso: string, category?: string, type = 'page_viewed') => event(id, 'web', type, iso, { url: '/p', path: '/p', title: null, referrer: null, name: null }, category === undefined ? {} : { category });

    const ids = Object.fromEntries(
      ['sources', 'webOnly', 'noEvents', 'smsMost', 'tie', 'noEngagement', 'noneGranted', 'neverAsked', 'categories', 'top20', 'vector', 'zeroLines', 'dobMonth', 'dobMonthEnd', 'dobBad', 'dobFuture'].map((k) => [k, randomUUID()]),
    ) as Record<string, string>;
    let priority: string[] | null = null;
    const computer = () => createAggregateComputer(t.runtime.clickhouse!, { sourcePriorityOf: async (tid) => (tid === tenant && priority ? priority : []) });
    const rows = new Map<string, Record<string, unknown>>();

    beforeAll(async () => {
      const ch = t.runtime.clickhouse!;
      const writer = createWarehouseWriter(ch);
      await writer.writeProfileChanges([
        ...Object.entries(ids)
          .filter(([k]) => !['categories', 'dobMonth', 'dobMonthEnd', 'dobBad', 'dobFuture'].includes(k))
          .map(([, id]) => profile(id)),
        profile(ids.categories!, {}, ['VIP', ' Bags']),
        profile(ids.dobMonth!, { date_of_birth: '1990-07' }),
        profile(ids.dobMonthEnd!, { date_of_birth: '1990-06' }),
        profile(ids.dobBad!, { date_of_birth: '31/12/1990' }),
        profile(ids.dobFuture!, { date_of_birth: '2027' }),
      ]);
      const s = ids;
      await writer.writeEvents([
        // primary_source: web, messaging and pos events, no CRM one; web alone.
        view(s.sources!, daysBefore(3)),
        message(s.sources!, 'message_sent', 'email', daysBefore(2)),
        order(s.sources!, daysBefore(1), 'EUR', [line(null, 1000)]),
        view(s.webOnly!, daysBefore(1)),
        // preferred_channel: email and sms granted; sms has 3 texts received against 2 email opens
        // and clicks in the last 12 months. Five older email opens and ten push opens (never
        // granted) do not count. Email was granted, unsubscribed, granted again.
        consent(s.smsMost!, 'email', 'granted', daysBefore(200)),
        event(s.smsMost!, 'messaging', 'unsubscribed', daysBefore(150), { message_id: null, channel: 'email', campaign_id: null, ip: null, reason: null }),
        consent(s.smsMost!, 'email', 'granted', daysBefore(100)),
        consent(s.smsMost!, 'sms', 'granted', daysBefore(100), 'messaging'),
        message(s.smsMost!, 'message_opened', 'email', daysBefore(10)),
        message(s.smsMost!, 'message_clicked', 'email', daysBefore(10)),
        ...[1, 2, 3].map((d) => event(s.smsMost!, 'messaging', 'sms_received', daysBefore(d), { message_id: randomUUID(), channel: 'sms', body_length: 12 })),
        ...[1, 2, 3, 4, 5].map(() => message(s.smsMost!, 'message_opened', 'email', daysBefore(400))),
        ...Array.from({ length: 10 }, () => message(s.smsMost!, 'message_opened', 'push', daysBefore(5))),
        // Other scopes: profiling granted; terms revoked after being granted; newsletter revoked,
        // and a grant older than the revocation, sent later, does not override it.
        consent(s.smsMost!, 'profiling', 'granted', daysBefore(50)),
        consent(s.smsMost!, 'terms_of_service', 'granted', daysBefore(60)),
        consent(s.smsMost!, 'terms_of_service', 'revoked', daysBefore(30)),
        consent(s.smsMost!, 'newsletter', 'revoked', daysBefore(20)),
        // A tie: email and whatsapp two each, sms granted without engagement; a late whatsapp
        // revocation older than its grant changes nothing.
        consent(s.tie!, 'email', 'granted', daysBefore(90)),
        consent(s.tie!, 'sms', 'granted', daysBefore(90)),
        consent(s.tie!, 'whatsapp', 'granted', daysBefore(60)),
        consent(s.tie!, 'whatsapp', 'revoked', daysBefore(70), 'messaging'),
        message(s.tie!, 'message_opened', 'email', daysBefore(5)),
        message(s.tie!, 'message_opened', 'email', daysBefore(4)),
        message(s.tie!, 'message_opened', 'whatsapp', daysBefore(5)),
        message(s.tie!, 'message_clicked', 'whatsapp', daysBefore(5)),
        // No engagement at all: push and sms granted, sms first in the order.
        consent(s.noEngagement!, 'push', 'granted', daysBefore(10), 'web'),
        consent(s.noEngagement!, 'sms', 'granted', daysBefore(10)),
        // Nothing granted: email unsubscribed, sms stopped, whatsapp revoked; a granted scope that is
        // no channel does not make an opt-in.
        consent(s.noneGranted!, 'email', 'granted', daysBefore(100)),
        event(s.noneGranted!, 'messaging', 'unsubscribed', daysBefore(50), { message_id: null, channel: 'email', campaign_id: null, ip: null, reason: null }),
        event(s.noneGranted!, 'messaging', 'sms_stop', daysBefore(40), { message_id: null, channel: 'sms', keyword: 'STOP' }),
        consent(s.noneGranted!, 'whatsapp', 'revoked', daysBefore(30)),
        consent(s.noneGranted!, 'profiling', 'granted', daysBefore(30)),
        message(s.noneGranted!, 'message_opened', 'email', daysBefore(45)),
        // Never asked: engagement, but no consent of any channel.
        message(s.neverAsked!, 'message_opened', 'email', daysBefore(3)),
        // interests: shoes in three line items and one spelled "shoes " (4), outdoor viewed twice,
        // bags bought once and a CRM tag (2), books on a screen (1), the tag vip (1); lines and views
        // without a category add nothing.
        order(s.categories!, daysBefore(0), 'EUR', [line('Shoes', 5000), line('Shoes', 1000), line('Bags', 2000), line(null, 9999)]),
        order(s.categories!, daysBefore(0), 'EUR', [line('SHOES', 2000), line('shoes ', 1000)]),
        view(s.categories!, daysBefore(2), 'Outdoor'),
        view(s.categories!, daysBefore(1), 'outdoor'),
        view(s.categories!, daysBefore(1)),
        view(s.categories!, daysBefore(1), 'Books', 'screen_viewed'),
        // At most 20: k21 to k25 viewed three times each, k01 to k20 once: k21-k25 and the first
        // fifteen by name.
        ...Array.from({ length: 20 }, (_, i) => view(s.top20!, daysBefore(1), `k${String(i + 1).padStart(2, '0')}`)),
        ...[21, 22, 23, 24, 25].flatMap((k) => [1, 2, 3].map(() => view(s.top20!, daysBefore(2), `k${k}`))),
        // recommendation_vector: shoes 100 EUR 90 days ago (one half-life) and 20 EUR now, bags
        // 50 EUR 90 days ago, books 400 JPY (no minor unit) 180 days ago; a refund counts nothing.
        order(s.vector!, daysBefore(90), 'EUR', [line('Shoes', 10000), line('Bags', 5000)]),
        order(s.vector!, daysBefore(0), 'EUR', [line('shoes', 2000)]),
        order(s.vector!, daysBefore(180), 'JPY', [line('Books', 400)]),
        event(s.vector!, 'pos', 'order_refunded', daysBefore(0), { refund_id: 'r1', order_id: 'x', store_id: null, currency: 'EUR', amount_minor: 2000, reason: null, line_items: [] }),
        // Purchases whose lines are free or have no category: no vector; interests from the free line.
        order(s.zeroLines!, daysBefore(1), 'EUR', [line('Gifts', 0), line(null, 3000)]),
        // Dates of birth: the profiles need an event to be computed.
        ...['dobMonth', 'dobMonthEnd', 'dobBad', 'dobFuture'].map((k) => view(s[k]!, daysBefore(1))),
      ]);
      for (const row of await computer().recompute(tenant, Object.values(ids), NOW)) rows.set(row.customer360_id, row as unknown as Record<string, unknown>);
    });

    it('primary_source: the first source of the priority the profile has events from; none without events', async () => {
      expect(rows.get(ids.sources!)).toMatchObject({ primary_source: 'pos' });
      expect(rows.get(ids.webOnly!)).toMatchObject({ primary_source: 'web' });
      expect(rows.get(ids.smsMost!)).toMatchObject({ primary_source: 'crm' });
      // No events, no row: the API shows the values of an uncomputed profile (primary_source null).
      expect(rows.has(ids.noEvents!)).toBe(false);
      // The tenant's priority, complete or partial (the rest in the default order).
      priority = ['web', 'messaging', 'pos', 'crm'];
      expect((await computer().recompute(tenant, [ids.sources!], NOW))[0]).toMatchObject({ primary_source: 'web' });
      priority = ['messaging'];
      expect((await computer().recompute(tenant, [ids.sources!], NOW))[0]).toMatchObject({ primary_source: 'messaging' });
      expect((await computer().recompute(tenant, [ids.webOnly!], NOW))[0]).toMatchObject({ primary_source: 'web' });
      // Back to the default, stored again for the view's test.
      priority = null;
      const [again] = await computer().recompute(tenant, [ids.sources!], NOW);
      expect(again).toMatchObject({ primary_source: 'pos' });
      rows.set(ids.sources!, again as unknown as Record<string, unknown>);
    });

    it('age: whole years, partial dates counted from their last day, null when unreadable or in the future', () => {
      // June 30, 2026: born in July 1990 (by July 31) is at least 35; in June 1990 (by June 30), 36.
      expect(rows.get(ids.dobMonth!)).toMatchObject({ age: 35 });
      expect(rows.get(ids.dobMonthEnd!)).toMatchObject({ age: 36 });
      expect(rows.get(ids.dobBad!)).toMatchObject({ age: null });
      expect(rows.get(ids.dobFuture!)).toMatchObject({ age: null });
      expect(rows.get(ids.webOnly!)).toMatchObject({ age: null });
    });

    it('preferred_channel, opt_in_status and consent_scopes from the latest consent by time and 12 months of engagement', () => {
      expect(rows.get(ids.smsMost!)).toMatchObject({
        consent: { email: 'granted', sms: 'granted' },
        preferred_channel: 'sms',
        opt_in_status: 'opted_in',
        consent_scopes: ['email', 'profiling', 'sms'],
      });
      expect(rows.get(ids.tie!)).toMatchObject({ preferred_channel: 'email', opt_in_status: 'opted_in', consent_scopes: ['email', 'sms', 'whatsapp'] });
      expect(rows.get(ids.noEngagement!)).toMatchObject({ preferred_channel: 'sms', consent_scopes: ['push', 'sms'] });
      expect(rows.get(ids.noneGranted!)).toMatchObject({
        consent: { email: 'revoked', sms: 'revoked', whatsapp: 'revoked' },
        preferred_channel: null,
        opt_in_status: 'opted_out',
        consent_scopes: ['profiling'],
      });
      expect(rows.get(ids.neverAsked!)).toMatchObject({ consent: {}, preferred_channel: null, opt_in_status: 'unknown', consent_scopes: [] });
    });

    it('interests: categories of purchases, views and CRM tags, lower-cased, the 20 strongest, sorted', () => {
      expect(rows.get(ids.categories!)).toMatchObject({ interests: ['bags', 'books', 'outdoor', 'shoes', 'vip'] });
      const k = (n: number) => `k${String(n).padStart(2, '0')}`;
      expect(rows.get(ids.top20!)!.interests).toEqual([...Array.from({ length: 15 }, (_, i) => k(i + 1)), k(21), k(22), k(23), k(24), k(25)]);
      expect(rows.get(ids.zeroLines!)).toMatchObject({ interests: ['gifts'] });
      expect(rows.get(ids.neverAsked!)).toMatchObject({ interests: [] });
    });

    it('recommendation_vector: line amounts halved every 90 days, per category, normalised to 1', () => {
      // shoes 100 x 0.5 + 20 x 1 = 70, bags 50 x 0.5 = 25, books 400 x 0.25 = 100; total 195.
      expect(rows.get(ids.vector!)!.recommendation_vector).toEqual({ shoes: 0.359, bags: 0.1282, books: 0.5128 });
      // All bought now: shoes 50 + 10 + 20 + 10 = 90, bags 20 of 110; the line without a category counts nowhere.
      expect(rows.get(ids.categories!)!.recommendation_vector).toEqual({ shoes: 0.8182, bags: 0.1818 });
      expect(rows.get(ids.zeroLines!)!.recommendation_vector).toEqual({});
      expect(rows.get(ids.webOnly!)!.recommendation_vector).toEqual({});
      expect(rows.get(ids.sources!)!.recommendation_vector).toEqual({});
    });

    it('are columns of the customer360 view, and segments select on them', async () => {
      const ch = t.runtime.clickhouse!;
      const result = await ch.client.query({
        query: `SELECT toString(customer360_id) AS id, primary_source, age, preferred_channel, opt_in_status, consent_scopes, interests, recommendation_vector
                FROM ${ch.database}.customer360 WHERE tenant_id = {t:String}`,
        query_params: { t: tenant },
        format: 'JSONEachRow',
      });
      const viewRows = new Map((await result.json<Record<string, unknown> & { id: string }>()).map(({ id, ...r }) => [id, r]));
      for (const [id, row] of rows) {
        const { primary_source, age, preferred_channel, opt_in_status, consent_scopes, interests, recommendation_vector } = row;
        expect(viewRows.get(id), id).toEqual({ primary_source, age, preferred_channel, opt_in_status, consent_scopes, interests, recommendation_vector });
      }
      // A profile without a computation: no source, no age, unknown, empty.
      expect(viewRows.get(ids.noEvents!)).toEqual({ primary_source: null, age: null, preferred_channel: null, opt_in_status: 'unknown', consent_scopes: [], interests: [], recommendation_vector: {} });

      const members = async (rule: SegmentRule) => {
        const { where, params } = compileSegmentRule(rule, CUSTOMER360_FIELDS, { now: NOW });
        const r = await ch.client.query({
          query: `SELECT toString(customer360_id) AS id FROM ${ch.database}.customer360 WHERE tenant_id = {tenant:String} AND (${where}) ORDER BY id`,
          query_params: { ...params, tenant },
          format: 'JSONEachRow',
        });
        return (await r.json<{ id: string }>()).map((m) => m.id);
      };
      const sorted = (...keys: string[]) => keys.map((k) => ids[k]!).sort();
      expect(await members({ field: 'preferred_channel', op: '=', value: 'sms' })).toEqual(sorted('smsMost', 'noEngagement'));
      expect(await members({ field: 'opt_in_status', op: '=', value: 'opted_out' })).toEqual(sorted('noneGranted'));
      expect(await members({ field: 'consent_scopes', op: 'contains', value: 'profiling' })).toEqual(sorted('smsMost', 'noneGranted'));
      expect(await members({ field: 'interests', op: 'contains_any', value: ['shoes', 'gifts'] })).toEqual(sorted('categories', 'vector', 'zeroLines'));
      expect(await members({ field: 'age', op: '>=', value: 36 })).toEqual(sorted('dobMonthEnd'));
      expect(await members({ all: [{ field: 'primary_source', op: '=', value: 'web' }, { field: 'age', op: 'is_null' }] })).toEqual(sorted('webOnly', 'top20', 'dobBad', 'dobFuture'));
    });
  });

  describe('end to end', () => {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const identity = { email: 'kim@fields.test' };

    it('reads and writes the source priority in the identity settings, refusing unknown sources', async () => {
      expect((await t.request('GET', '/v1/identity/settings', KEY_A)).body.source_priority).toEqual(['crm', 'pos', 'messaging', 'web']);
      const refused = async (source_priority: unknown) => {
        const r = await t.request('PUT', '/v1/identity/settings', KEY_A, { source_priority });
        expect(r.status).toBe(400);
        return r.body.message as string;
      };
      expect(await refused(['pos', 'fax'])).toMatch(/source_priority\/1: unknown source "fax"; the sources are crm, pos, web, messaging/);
      expect(await refused(['pos', 'pos'])).toMatch(/source_priority\/1: pos is given twice/);
      expect(await refused([])).toMatch(/must be an array of sources/);
      expect(await refused('pos')).toMatch(/must be an array of sources/);
      expect(await refused([3])).toMatch(/source_priority\/0: must be a source name/);
      expect((await t.request('PUT', '/v1/identity/settings', KEY_A_READ, { source_priority: ['web'] })).status).toBe(403);

      const put = await t.request('PUT', '/v1/identity/settings', KEY_A, { default_region: 'GB', source_priority: ['web', 'pos'] });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ default_region: 'GB', source_priority: ['web', 'pos', 'crm', 'messaging'] });
      expect((await t.request('GET', '/v1/identity/settings', KEY_A)).body.source_priority).toEqual(['web', 'pos', 'crm', 'messaging']);
      // Per tenant; and a PUT without it is the default again.
      expect((await t.request('GET', '/v1/identity/settings', KEY_B)).body.source_priority).toEqual(['crm', 'pos', 'messaging', 'web']);
      expect((await t.request('PUT', '/v1/identity/settings', KEY_A, {})).body.source_priority).toEqual(['crm', 'pos', 'messaging', 'web']);
    });

    it('turns events into the fields of the profile answer and of customer360', async () => {
      await t.request('PUT', '/v1/consent/scopes', KEY_A, { scopes: ['profiling'] });
      const sent = await t.request('POST', '/v1/events', KEY_A, [
        {
          event_id: 'c360f-order', source: 'pos', type: 'order_completed', occurred_at: at(60), identity, traits: { date_of_birth: '1990-05' },
          properties: {
            order_id: 'c360f-o1', currency: 'EUR', total_minor: 12000,
            line_items: [
              { category: 'Shoes', quantity: 1, unit_price_minor: 8000, total_minor: 8000 },
              { category: 'Bags', quantity: 2, unit_price_minor: 2000, total_minor: 4000 },
            ],
          },
        },
        { event_id: 'c360f-view', source: 'web', type: 'page_viewed', occurred_at: at(50), identity, properties: { url: '/outdoor', category: 'Outdoor' } },
        { event_id: 'c360f-contact', source: 'crm', type: 'contact_created', occurred_at: at(40), identity: { ...identity, source_record_id: 'C-KIM' }, properties: { tags: ['VIP'] } },
        { event_id: 'c360f-email', source: 'crm', type: 'consent_changed', occurred_at: at(30), identity, properties: { scope: 'email', status: 'granted' } },
        { event_id: 'c360f-profiling', source: 'crm', type: 'consent_changed', occurred_at: at(30), identity, properties: { scope: 'profiling', status: 'granted' } },
        { event_id: 'c360f-open', source: 'messaging', type: 'message_opened', occurred_at: at(20), identity, properties: { channel: 'email', message_id: 'm1' } },
      ]);
      expect(sent.body.accepted).toBe(6);
      const profile = await waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(identity.email)}`, KEY_A);
        return r.status === 200 && r.body.aggregates.events_count === 6 && r.body.aggregates.interests.includes('vip') ? r.body : null;
      }, 30_000, 'the profile with its six events');
      // Born in May 1990: at least this old today (counted from May 31).
      const today = new Date();
      const age = today.getUTCFullYear() - 1990 - (today.getUTCMonth() + 1 < 5 || (today.getUTCMonth() + 1 === 5 && today.getUTCDate() < 31) ? 1 : 0);
      const expected = {
        primary_source: 'crm',
        age,
        preferred_channel: 'email',
        opt_in_status: 'opted_in',
        consent_scopes: ['email', 'profiling'],
        interests: ['bags', 'outdoor', 'shoes', 'vip'],
        // One order: its lines' shares, whatever its age.
        recommendation_vector: { shoes: 0.6667, bags: 0.3333 },
      };
      expect(profile.aggregates).toMatchObject(expected);
      expect(profile.aggregates.recommendation_vector).toEqual(expected.recommendation_vector);

      const ch = t.runtime.clickhouse!;
      const result = await ch.client.query({
        query: `SELECT primary_source, age, preferred_channel, opt_in_status, consent_scopes, interests, recommendation_vector
                FROM ${ch.database}.customer360 WHERE tenant_id = 'tenant_a' AND customer360_id = {id:UUID}`,
        query_params: { id: profile.customer360_id },
        format: 'JSONEachRow',
      });
      expect(await result.json()).toEqual([expected]);

      // A segment on them, through the API.
      const rule = {
        all: [
          { field: 'interests', op: 'contains', value: 'shoes' },
          { field: 'opt_in_status', op: '=', value: 'opted_in' },
          { field: 'preferred_channel', op: '=', value: 'email' },
          { field: 'consent_scopes', op: 'contains', value: 'profiling' },
          { field: 'primary_source', op: 'in', value: ['crm', 'pos'] },
          { field: 'age', op: '>=', value: 18 },
        ],
      };
      const created = await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'c360_fields', name: 'Shoe lovers', priority: 1, rule });
      expect(created.status).toBe(200);
      expect(created.body.members).toBe(1);

      // The tenant's source priority, as enrich reads it from the settings (the runtime's wiring
      // passes the same function): web first now.
      await t.request('PUT', '/v1/identity/settings', KEY_A, { source_priority: ['web'] });
      const graph = createGraphStore(t.runtime.postgres!.pool);
      const computer = createAggregateComputer(ch, { sourcePriorityOf: async (tenantId) => (await graph.tenantSettings(tenantId)).sourcePriority });
      const [row] = await computer.recompute('tenant_a', [profile.customer360_id]);
      expect(row).toMatchObject({ ...expected, primary_source: 'web' });
      await t.request('PUT', '/v1/identity/settings', KEY_A, {});
    });
  });
});
