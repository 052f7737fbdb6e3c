/**
 * Two tenants with the same customer (same email, same phone): nothing of one is reachable with
 * the other's key, whatever ID, identifier, segment or SQL it tries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('tenant isolation (adversarial)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const same = { email: 'same.person@mail.test', phone: '+14155550123' };
  const order = (id: string, totalMinor: number) => ({
    event_id: id,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-05-01T12:00:00Z',
    identity: same,
    traits: { first_name: id.startsWith('a') ? 'Alma' : 'Bertil' },
    properties: { order_id: id, total_minor: totalMinor, currency: 'USD' },
  });
  const sql = (key: string, query: string) => t.request('POST', '/v1/sql', key, { query });

  it('keeps every route, export and SQL query within the key\'s tenant', async () => {
    // The same event IDs in both tenants too.
    await t.request('POST', '/v1/events', KEY_A, [order('a-order', 10000)]);
    await t.request('POST', '/v1/events', KEY_B, [order('b-order', 90000), { ...order('a-order', 5000), traits: { first_name: 'Bertil' } }]);
    const profileOf = async (key: string, revenue: number) =>
      waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(same.email)}`, key);
        return r.status === 200 && r.body.aggregates.total_revenue === revenue ? r.body : null;
      }, 30_000, `the profile worth ${revenue}`);
    const a = await profileOf(KEY_A, 100);
    const b = await profileOf(KEY_B, 950);
    expect(a.customer360_id).not.toBe(b.customer360_id);
    expect((await t.request('GET', `/v1/profiles?phone=${encodeURIComponent(same.phone)}`, KEY_B)).body.customer360_id).toBe(b.customer360_id);

    // A's profile ID with B's key: not found, on every route.
    for (const route of ['', '/consent', '/merges', '/timeline', '/export']) {
      expect((await t.request('GET', `/v1/profiles/${a.customer360_id}${route}`, KEY_B)).status).toBe(404);
    }
    expect((await t.request('POST', `/v1/profiles/${a.customer360_id}/erase`, KEY_B)).status).toBe(404);
    expect((await t.request('POST', `/v1/profiles/${a.customer360_id}/split`, KEY_B, { merged_id: b.customer360_id })).status).toBe(404);
    // B's timeline holds B's events only, though the event IDs collide.
    const timeline = await t.request('GET', `/v1/profiles/${b.customer360_id}/timeline`, KEY_B);
    expect(timeline.body.events.map((e: { amount: number }) => e.amount).sort()).toEqual([50, 900]);

    // Segments: the same segment ID in both tenants, each with its own members.
    const rule = { all: [{ field: 'total_revenue', op: '>', value: 0 }] };
    await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'buyers', name: 'Buyers', rule });
    expect((await t.request('GET', '/v1/segments', KEY_B)).body.segments).toEqual([]);
    expect((await t.request('GET', '/v1/segments/buyers/members', KEY_B)).status).toBe(404);
    await t.request('POST', '/v1/segments', KEY_B, { segment_id: 'buyers', name: 'Buyers', rule });
    const members = await t.request('GET', '/v1/segments/buyers/members?format=ndjson', KEY_B);
    expect(members.body.customer360_id ?? JSON.parse(String(members.body).trim()).customer360_id).toBe(b.customer360_id);

    // SQL with B's key sees B's rows only, however it asks.
    expect((await sql(KEY_B, 'SELECT count() AS n FROM customer360')).body.rows).toEqual([{ n: 1 }]);
    expect((await sql(KEY_B, "SELECT count() AS n FROM events WHERE tenant_id = 'tenant_a'")).body.rows).toEqual([{ n: 0 }]);
    expect((await sql(KEY_B, `SELECT count() AS n FROM ${t.runtime.clickhouse!.database}.events_by_profile`)).body.rows).toEqual([{ n: 2 }]);
    expect((await sql(KEY_B, `SELECT count() AS n FROM profiles WHERE customer360_id = '${a.customer360_id}'`)).body.rows).toEqual([{ n: 0 }]);
    expect((await sql(KEY_B, 'SELECT sum(total_revenue) AS r FROM profile_aggregates AS x JOIN (SELECT customer360_id FROM profiles) AS p ON p.customer360_id = x.customer360_id')).body.rows).toEqual([{ r: 950 }]);
    expect((await sql(KEY_B, "SELECT count() AS n FROM (SELECT * FROM events) WHERE properties LIKE '%a-order%'")).body.rows).toEqual([{ n: 1 }]);
    // Every trick to leave the tenant in SQL is refused: test/sql-isolation.test.ts.
    expect((await sql(KEY_B, 'SELECT * FROM system.tables')).status).toBe(400);
    // A comment cannot reach past the query's end, and the pipeline's own queries stay unfiltered.
    expect((await sql(KEY_B, 'SELECT count() AS n FROM events -- ) SETTINGS readonly = 0')).body.rows).toEqual([{ n: 2 }]);
    // A's data is still whole.
    const whole = await sql(KEY_A, 'SELECT sum(total_revenue) AS r FROM customer360');
    expect(whole.body).toEqual({ rows: [{ r: 100 }], truncated: false });
    // The analysts' queries leave nothing behind in the warehouse session: the pipeline still writes.
    await t.request('POST', '/v1/events', KEY_A, [order('a-order-2', 5000)]);
    await profileOf(KEY_A, 150);
  });
});
