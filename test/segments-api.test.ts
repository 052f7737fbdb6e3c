/**
 * Segments on the embedded pipeline: a definition created through the API selects its members
 * in ClickHouse, exports stream as CSV and NDJSON or page as JSON, a channel export leaves out
 * everyone without consent for it, an attribute change moves a profile in, a deletion moves
 * everyone out, the history keeps both, and another tenant sees nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('segments', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  let seq = 0;
  const order = (email: string, totalMinor: number) => ({
    event_id: `seg-order-${++seq}`,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-03-01T12:00:00Z',
    identity: { email },
    properties: { order_id: `seg-o-${seq}`, total_minor: totalMinor, currency: 'USD' },
  });
  const consent = (email: string, status: 'granted' | 'revoked') => ({
    event_id: `seg-consent-${++seq}`,
    source: 'crm',
    type: 'consent_changed',
    occurred_at: '2026-02-01T12:00:00Z',
    identity: { email },
    properties: { scope: 'email', status },
  });
  const revenueOf = async (key: string, email: string) => {
    const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, key);
    return r.status === 200 ? (r.body.aggregates.total_revenue as number) : null;
  };

  it('selects, exports and keeps members up to date, per tenant', async () => {
    await t.request('POST', '/v1/events', KEY_A, [
      order('ann@seg.test', 20000), order('ann@seg.test', 10000), consent('ann@seg.test', 'granted'),
      order('bob@seg.test', 5000), consent('bob@seg.test', 'granted'),
      order('cat@seg.test', 50000), consent('cat@seg.test', 'revoked'),
      { event_id: 'seg-dan', source: 'web', type: 'page_viewed', occurred_at: '2026-03-01T12:00:00Z', identity: { email: 'dan@seg.test' }, properties: { url: '/' } },
    ]);
    // Another tenant: the same email, a big spender there.
    await t.request('POST', '/v1/events', KEY_B, [order('bob@seg.test', 900000)]);
    await waitFor(async () => (await revenueOf(KEY_A, 'cat@seg.test')) === 500 && (await revenueOf(KEY_A, 'ann@seg.test')) === 300 && (await revenueOf(KEY_B, 'bob@seg.test')) === 9000, 30_000, 'the aggregates');
    await waitFor(async () => (await revenueOf(KEY_A, 'dan@seg.test')) === 0, 30_000, 'the page view');

    const rule = { all: [{ field: 'total_revenue', op: '>=', value: 200 }] };
    const created = await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'big', name: 'Big spenders', priority: 10, rule });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ segment_id: 'big', name: 'Big spenders', priority: 10, rule, members: 2, change: { entered: 2, left: 0 } });
    expect((await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'big', name: 'Again', rule })).status).toBe(409);
    const bad = await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'Bad Id', name: '', rule: { all: [{ field: 'revenue', op: '>=', value: 'x' }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/segment_id', '/name', '/rule/all/0/field']));

    const emails = (rows: { primary_email: string }[]) => rows.map((r) => r.primary_email).sort();
    const page = await t.request('GET', '/v1/segments/big/members?limit=1', KEY_A);
    expect(page.body.members).toHaveLength(1);
    const rest = await t.request('GET', `/v1/segments/big/members?limit=1&after=${page.body.next}`, KEY_A);
    expect(emails([...page.body.members, ...rest.body.members])).toEqual(['ann@seg.test', 'cat@seg.test']);
    const ndjson = await t.request('GET', '/v1/segments/big/members?format=ndjson', KEY_A);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    expect(emails(ndjson.body.trim().split('\n').map((l: string) => JSON.parse(l)))).toEqual(['ann@seg.test', 'cat@seg.test']);
    const csv = await t.request('GET', '/v1/segments/big/members?format=csv', KEY_A);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('"customer360_id","primary_email","primary_phone","first_name","last_name","lifecycle_stage"');
    expect(lines).toHaveLength(3);
    // The email channel: Cat revoked her consent.
    const forEmail = await t.request('GET', '/v1/segments/big/members?channel=email', KEY_A);
    expect(emails(forEmail.body.members)).toEqual(['ann@seg.test']);
    expect((await t.request('GET', '/v1/segments/big/members?channel=fax', KEY_A)).status).toBe(400);

    // Bob spends more: his attributes change and he enters the segment.
    await t.request('POST', '/v1/events', KEY_A, [order('bob@seg.test', 20000)]);
    await waitFor(async () => (await t.request('GET', '/v1/segments/big', KEY_A)).body.members === 3, 30_000, 'Bob in the segment');
    const ch = t.runtime.clickhouse!;
    const history = await ch.client.query({
      query: `SELECT p.primary_email AS email, h.change AS change, h.reason AS reason FROM ${ch.database}.segment_membership_history h
              JOIN (SELECT * FROM ${ch.database}.profiles FINAL) p ON p.customer360_id = h.customer360_id AND p.tenant_id = h.tenant_id
              WHERE h.tenant_id = 'tenant_a' AND h.segment_id = 'big' ORDER BY h.changed_at, email`,
      format: 'JSONEachRow',
    });
    expect(await history.json()).toEqual([
      { email: 'ann@seg.test', change: 'entered', reason: 'definition saved' },
      { email: 'cat@seg.test', change: 'entered', reason: 'definition saved' },
      { email: 'bob@seg.test', change: 'entered', reason: 'attributes changed' },
    ]);

    // Published for marketing tools: every entry on the segment changes topic, Avro like the rest
    // (published once the membership is stored, so it may arrive a moment after the history).
    const publishedRows = () => t.db.pool.query<{ value: Buffer }>('SELECT value FROM transport_log WHERE topic = $1 ORDER BY partition, "offset"', [t.runtime.topics.segmentChanges]);
    await waitFor(async () => (await publishedRows()).rows.length >= 3, 30_000, 'three entries published');
    const published = await publishedRows();
    const decoded = await Promise.all(published.rows.map((r) => t.runtime.codec.decode<{ tenant_id: string; segment_id: string; change: string; reason: string }>(t.runtime.topics.segmentChanges, r.value)));
    expect(decoded.map((d) => `${d.tenant_id}/${d.segment_id}/${d.change}/${d.reason}`).sort()).toEqual([
      'tenant_a/big/entered/attributes changed',
      'tenant_a/big/entered/definition saved',
      'tenant_a/big/entered/definition saved',
    ]);

    // Tenant B sees none of it; deleting moves every member out.
    expect((await t.request('GET', '/v1/segments/big', KEY_B)).status).toBe(404);
    expect((await t.request('GET', '/v1/segments/big/members', KEY_B)).status).toBe(404);
    expect((await t.request('GET', '/v1/segments', KEY_B)).body.segments).toEqual([]);
    const deleted = await t.request('DELETE', '/v1/segments/big', KEY_A);
    expect(deleted.body).toMatchObject({ deleted: true, change: { entered: 0, left: 3 } });
    expect((await t.request('GET', '/v1/segments/big', KEY_A)).status).toBe(404);
  });
});
