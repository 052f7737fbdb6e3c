/**
 * The serving copy of the aggregates (profile_summaries in Postgres): enrich writes it with the
 * warehouse's row, the read API answers from it in one Postgres statement, ClickHouse answers a
 * profile whose copy is missing, and an older computation never replaces a newer one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { createAggregateReader } from '../api/profiles.ts';
import { createSummaryStore, NO_AGGREGATES } from '../enrich/summaries.ts';

describe('the serving copy of the aggregates', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers lookups from Postgres with exactly what the warehouse holds', async () => {
    const order = (id: string, at: string, totalMinor: number) => ({
      event_id: id,
      source: 'pos',
      type: 'order_completed',
      occurred_at: at,
      identity: { email: 'ines@shop.test', phone: '+4915112345678' },
      properties: { order_id: id, total_minor: totalMinor, currency: 'EUR' },
    });
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      order('sum-o1', '2026-03-01T10:00:00Z', 4000),
      order('sum-o2', '2026-04-01T10:00:00Z', 6000),
      { event_id: 'sum-w1', source: 'web', type: 'page_viewed', occurred_at: '2026-04-02T10:00:00Z', identity: { email: 'ines@shop.test' }, properties: { url: '/' } },
      { event_id: 'sum-c1', source: 'crm', type: 'consent_changed', occurred_at: '2026-04-03T10:00:00Z', identity: { email: 'ines@shop.test' }, properties: { scope: 'email', status: 'granted' } },
    ]);
    expect(sent.body).toMatchObject({ accepted: 4 });
    // The same email at tenant B, with one small order.
    expect((await t.request('POST', '/v1/events', KEY_B, [order('sum-o1', '2026-03-01T10:00:00Z', 500)])).body).toMatchObject({ accepted: 1 });

    const first = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=ines%40shop.test', KEY_A);
      return r.body?.aggregates?.orders_count === 2 && r.body.aggregates.events_count === 4 ? r.body : null;
    }, 30_000, 'the aggregates of tenant A');
    const id = first.customer360_id as string;
    const pool = t.runtime.postgres!.pool;
    // Tenant B's person, with the same email, has its own copy.
    const other = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=ines%40shop.test', KEY_B);
      return r.body?.aggregates?.orders_count === 1 ? r.body : null;
    }, 30_000, 'the aggregates of tenant B');
    expect(other.customer360_id).not.toBe(id);
    expect(other.aggregates.total_revenue).toBe(5);
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_B)).status).toBe(404);
    // The pipeline is done with both people when no copy has been written for a second.
    const lastWrite = async () => (await pool.query('SELECT max(computed_at) AS at FROM profile_summaries')).rows[0].at?.getTime();
    await waitFor(async () => {
      const before = await lastWrite();
      await new Promise((r) => setTimeout(r, 1000));
      return before === (await lastWrite());
    }, 30_000, 'the pipeline to settle');
    const profile = (await t.request('GET', '/v1/profiles?email=ines%40shop.test', KEY_A)).body;
    const stored = await pool.query('SELECT tenant_id, aggregates FROM profile_summaries WHERE customer360_id = $1', [id]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].tenant_id).toBe('tenant_a');

    // Same fields, same values as the warehouse's row, read back from ClickHouse.
    const warehouse = await createAggregateReader(t.runtime.clickhouse!)('tenant_a', id);
    expect(warehouse.orders_count).toBe(2);
    expect(Object.keys(profile.aggregates).sort()).toEqual(Object.keys(NO_AGGREGATES).sort());
    expect(profile.aggregates).toEqual(warehouse);
    expect(profile.aggregates).toMatchObject({ total_revenue: 100, average_order_value: 50, consent: { email: 'granted' }, sessions_count: 1 });
    expect(profile.aggregates.ltv).toBeGreaterThanOrEqual(100);
    // By ID and by phone: the same answer.
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).body).toEqual(profile);
    expect((await t.request('GET', '/v1/profiles?phone=%2B4915112345678', KEY_A)).body).toEqual(profile);

    // Times after any computation the running pipeline may still make of this profile (it
    // writes with the time it computes), so none of its writes lands between these steps.
    const day = 86_400_000;
    const later = (days: number) => new Date(Date.now() + days * day);

    // The answer is the Postgres copy: a value changed there shows (the warehouse still says 2).
    await pool.query(
      `UPDATE profile_summaries SET aggregates = jsonb_set(aggregates, '{orders_count}', '7'), computed_at = $2 WHERE tenant_id = 'tenant_a' AND customer360_id = $1`,
      [id, later(1)],
    );
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).body.aggregates.orders_count).toBe(7);
    // Without a copy, ClickHouse answers (a copy the pipeline writes meanwhile holds the same values).
    await pool.query(`DELETE FROM profile_summaries WHERE tenant_id = 'tenant_a' AND customer360_id = $1`, [id]);
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).body.aggregates).toEqual(warehouse);

    // An older computation does not replace a newer one.
    const summaries = createSummaryStore(pool);
    const row = { customer360_id: id, ...warehouse };
    await summaries.write('tenant_a', [{ ...row, orders_count: 3 }], later(3));
    await summaries.write('tenant_a', [{ ...row, orders_count: 1 }], later(2));
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).body.aggregates.orders_count).toBe(3);
    const newest = later(4);
    await summaries.write('tenant_a', [{ ...row, orders_count: 4 }], newest);
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).body.aggregates.orders_count).toBe(4);
    // The same values again are not rewritten.
    await summaries.write('tenant_a', [{ ...row, orders_count: 4 }], later(5));
    const kept = await pool.query(`SELECT computed_at FROM profile_summaries WHERE tenant_id = 'tenant_a' AND customer360_id = $1`, [id]);
    expect(kept.rows[0].computed_at.toISOString()).toBe(newest.toISOString());

  });
});
