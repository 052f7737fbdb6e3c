/**
 * Data-subject export and erasure on the embedded pipeline: the export holds everything about
 * the person; after the erasure no table of Postgres (the embedded log included) or ClickHouse
 * holds their email, phone or name, another person is untouched, and replaying their old events
 * does not bring them back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('data-subject requests', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const erin = { email: 'erin.quist@mail.test', phone: '(415) 555-0177' };
  const erinEvents = [
    { event_id: 'dsr-1', source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T10:00:00Z', identity: erin, traits: { first_name: 'Erin', last_name: 'Quistgaard' } },
    { event_id: 'dsr-2', source: 'pos', type: 'order_completed', occurred_at: '2026-04-02T10:00:00Z', identity: { phone: erin.phone }, properties: { order_id: 'dsr-o1', total_minor: 25000, currency: 'USD' } },
    { event_id: 'dsr-3', source: 'web', type: 'page_viewed', occurred_at: '2026-04-03T10:00:00Z', identity: { email: erin.email }, properties: { url: '/shoes' } },
    { event_id: 'dsr-4', source: 'crm', type: 'consent_changed', occurred_at: '2026-04-04T10:00:00Z', identity: { email: erin.email }, properties: { scope: 'email', status: 'granted' } },
  ];
  const frank = (id: string, day: number) => ({
    event_id: id,
    source: 'web',
    type: 'page_viewed',
    occurred_at: `2026-04-${String(day).padStart(2, '0')}T10:00:00Z`,
    identity: { email: 'frank@mail.test' },
    properties: { url: '/' },
  });
  const profileOf = (email: string) => t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, KEY_A);

  /** Rows of any Postgres table, or any ClickHouse table, that mention the text. */
  async function tablesMentioning(text: string): Promise<string[]> {
    const found: string[] = [];
    const tables = await t.db.pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    for (const { table_name } of tables.rows) {
      const r = await t.db.pool.query(`SELECT count(*)::int AS n FROM "${table_name}" x WHERE x::text ILIKE $1`, [`%${text}%`]);
      if (r.rows[0].n > 0) found.push(`postgres.${table_name}`);
    }
    const log = await t.db.pool.query('SELECT count(*)::int AS n FROM transport_log WHERE position(convert_to($1, \'UTF8\') IN value) > 0', [text]);
    if (log.rows[0].n > 0) found.push('postgres.transport_log (payloads)');
    const ch = t.runtime.clickhouse!;
    const chTables = await (
      await ch.client.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT LIKE '%View%'`, query_params: { db: ch.database }, format: 'JSONEachRow' })
    ).json<{ name: string }>();
    for (const { name } of chTables) {
      const [row] = await (
        await ch.client.query({
          query: `SELECT count() AS n FROM ${ch.database}.${name} WHERE positionCaseInsensitive(formatRow('TSV', *), {text:String}) > 0`,
          query_params: { text },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ n: number }>();
      if (row!.n > 0) found.push(`clickhouse.${name}`);
    }
    return found;
  }

  it('exports everything about a person, then erases them everywhere for good', async () => {
    expect((await t.request('POST', '/v1/events', KEY_A, [...erinEvents, frank('dsr-f1', 1)])).status).toBe(200);
    const before = await waitFor(async () => {
      const r = await profileOf(erin.email);
      return r.status === 200 && r.body.aggregates.events_count === 4 ? r.body : null;
    }, 30_000, "Erin's four events");
    await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'shoppers', name: 'Shoppers', rule: { all: [{ field: 'orders_count', op: '>=', value: 1 }] } });
    expect((await t.request('GET', '/v1/segments/shoppers', KEY_A)).body.members).toBe(1);
    expect(await tablesMentioning('quistgaard')).not.toEqual([]);

    // Export: the profile, identifiers, links, consent, aggregates, events, segment history.
    const exported = await t.request('GET', `/v1/profiles/${before.customer360_id}/export`, KEY_A);
    expect(exported.status).toBe(200);
    expect(exported.body.profile).toMatchObject({ emails: [erin.email], phones: ['+14155550177'], traits: { first_name: 'Erin', last_name: 'Quistgaard' } });
    expect(exported.body.events.map((e: { event_id: string }) => e.event_id).sort()).toEqual(['dsr-1', 'dsr-2', 'dsr-3', 'dsr-4']);
    expect(exported.body.consent_records).toMatchObject([{ scope: 'email', status: 'granted' }]);
    expect(exported.body.aggregates).toMatchObject({ orders_count: 1, total_revenue: 250 });
    expect(exported.body.segment_history).toMatchObject([{ segment_id: 'shoppers', change: 'entered' }]);
    expect((await t.request('GET', `/v1/profiles/${before.customer360_id}/export`, KEY_B)).status).toBe(404);

    // Erase: another tenant cannot; the tenant can.
    expect((await t.request('POST', `/v1/profiles/${before.customer360_id}/erase`, KEY_B)).status).toBe(404);
    const erased = await t.request('POST', `/v1/profiles/${before.customer360_id}/erase`, KEY_A);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ erased: true, removed: { profiles: 1, events: 4 } });
    for (const text of [erin.email, '4155550177', '555-0177', 'quistgaard', 'dsr-o1']) expect(await tablesMentioning(text)).toEqual([]);
    expect((await profileOf(erin.email)).status).toBe(404);
    expect((await t.request('GET', `/v1/profiles/${before.customer360_id}`, KEY_A)).status).toBe(404);
    expect((await t.request('GET', '/v1/segments/shoppers', KEY_A)).body.members).toBe(0);
    // Audited, with counts only.
    const audit = await t.db.pool.query("SELECT kind, requested_by, summary::text AS summary FROM privacy_requests WHERE tenant_id = 'tenant_a' ORDER BY id");
    expect(audit.rows.map((r) => r.kind)).toEqual(['export', 'erase']);
    // Which key asked, by its public ID (a configured key: "config-" and the start of its digest).
    expect(audit.rows.map((r) => r.requested_by)).toEqual([expect.stringMatching(/^config-[0-9a-f]{12}$/), audit.rows[0]!.requested_by]);
    expect(audit.rows.some((r) => /erin|quist|0177/i.test(r.summary))).toBe(false);

    // A replay of the old events (and a new one carrying her phone) brings nothing back.
    expect((await t.request('POST', '/v1/events', KEY_A, [...erinEvents, { ...erinEvents[2]!, event_id: 'dsr-5', identity: { phone: erin.phone } }, frank('dsr-f2', 2)])).status).toBe(200);
    await waitFor(async () => {
      const r = await profileOf('frank@mail.test');
      return r.status === 200 && r.body.aggregates.events_count === 2 ? r.body : null;
    }, 30_000, "Frank's second event");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await profileOf(erin.email)).status).toBe(404);
    expect((await t.request('GET', `/v1/profiles?phone=${encodeURIComponent(erin.phone)}`, KEY_A)).status).toBe(404);
    for (const text of [erin.email, 'quistgaard']) {
      expect((await tablesMentioning(text)).filter((tbl) => tbl !== 'postgres.transport_log (payloads)')).toEqual([]);
    }
  });

  it('soft-deletes a profile out of the active directory and restores it with its orders', async () => {
    const gail = { email: 'gail@mail.test' };
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'soft-1', source: 'pos', type: 'order_completed', occurred_at: '2026-04-05T10:00:00Z', identity: gail, properties: { order_id: 'soft-o1', total_minor: 4000, currency: 'USD' } },
    ]);
    const profile = await waitFor(async () => {
      const r = await profileOf(gail.email);
      return r.status === 200 && r.body.aggregates.orders_count === 1 ? r.body : null;
    }, 30_000, "Gail's order");
    await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'gail_buyers', name: 'Buyers', rule: { all: [{ field: 'orders_count', op: '>=', value: 1 }] } });
    expect((await t.request('GET', '/v1/segments/gail_buyers', KEY_A)).body.members).toBe(1);
    const inDirectory = async () => (await t.request('POST', '/v1/sql', KEY_A, { query: `SELECT count() AS n FROM customer360 WHERE primary_email = 'gail@mail.test'` })).body.rows[0].n;

    expect((await t.request('DELETE', `/v1/profiles/${profile.customer360_id}`, KEY_B)).status).toBe(404);
    expect((await t.request('DELETE', `/v1/profiles/${profile.customer360_id}`, KEY_A)).body).toEqual({ customer360_id: profile.customer360_id, deleted: true });
    expect((await t.request('GET', `/v1/profiles/${profile.customer360_id}`, KEY_A)).status).toBe(404);
    expect((await profileOf(gail.email)).status).toBe(404);
    const kept = await t.request('GET', `/v1/profiles/${profile.customer360_id}?include_deleted=true`, KEY_A);
    expect(kept.body).toMatchObject({ customer360_id: profile.customer360_id, deleted_at: expect.any(String), aggregates: { orders_count: 1, total_revenue: 40 } });
    await waitFor(async () => (await t.request('GET', '/v1/segments/gail_buyers', KEY_A)).body.members === 0, 30_000, 'Gail out of the segment');
    expect(await inDirectory()).toBe(0);

    expect((await t.request('POST', `/v1/profiles/${profile.customer360_id}/restore`, KEY_A)).body).toEqual({ customer360_id: profile.customer360_id, deleted: false });
    expect((await profileOf(gail.email)).body).toMatchObject({ deleted_at: null, aggregates: { orders_count: 1 } });
    await waitFor(async () => (await t.request('GET', '/v1/segments/gail_buyers', KEY_A)).body.members === 1, 30_000, 'Gail back in the segment');
    expect(await inDirectory()).toBe(1);
  });
});
