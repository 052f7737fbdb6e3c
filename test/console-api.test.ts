/**
 * The API the console stands on, on the embedded stack: who the key is, finding a customer as a
 * person types, the profile's segments and names, approving and rejecting suggested matches, a
 * manual merge (merge safety included, and undone by a split), previewing a rule, and the
 * pipeline's health series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileChange } from '../schemas/types.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_INGEST, KEY_A_READ, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('the console API', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'cn-1', source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T10:00:00Z', identity: { email: 'ann.smith@console.test', source_record_id: 'C-100' }, traits: { first_name: 'Ann', last_name: 'Smith' }, properties: { tags: ['vip'] } },
      { event_id: 'cn-2', source: 'crm', type: 'contact_created', occurred_at: '2026-04-02T10:00:00Z', identity: { email: 'annie.smyth@console.test', phone: '+1 415 555 0142' }, traits: { first_name: 'Annie', last_name: 'Smyth' } },
      { event_id: 'cn-3', source: 'web', type: 'identify', occurred_at: '2026-04-03T10:00:00Z', identity: { auth_user_id: 'u-bo', email: 'bo@console.test' }, traits: { first_name: 'Bo' } },
      { event_id: 'cn-4', source: 'web', type: 'identify', occurred_at: '2026-04-04T10:00:00Z', identity: { auth_user_id: 'u-cy', email: 'cy@console.test' }, traits: { first_name: 'Cy' } },
    ]);
    await waitFor(async () => (await t.request('GET', '/v1/profiles?email=cy%40console.test', KEY_A)).status === 200, 30_000, 'the profiles');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const idOf = async (email: string) => (await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, KEY_A)).body.customer360_id as string;
  const search = async (q: string, key = KEY_A) => (await t.request('POST', '/v1/profiles/search', key, { q })).body.profiles as { customer360_id: string; full_name: string; matched: string }[];

  it('says who the key is, and refuses an ingest key', async () => {
    expect((await t.request('GET', '/v1/me', KEY_A_READ)).body).toEqual({ tenant_id: 'tenant_a', role: 'read', key_id: expect.stringMatching(/^config-[0-9a-f]{12}$/) });
    expect((await t.request('GET', '/v1/me', KEY_A_INGEST)).status).toBe(403);
  });

  it('finds a customer by any identifier, the start of an email or of a name, in the key tenant only', async () => {
    const ann = await idOf('ann.smith@console.test');
    expect((await search('ANN.SMITH@console.test')).map((p) => [p.customer360_id, p.matched])).toEqual([[ann, 'email']]);
    expect((await search('(415) 555-0142'))[0]).toMatchObject({ full_name: 'Annie Smyth', matched: 'phone' });
    expect((await search('C-100'))[0]).toMatchObject({ customer360_id: ann, matched: 'source_record_id' });
    expect((await search('u-bo'))[0]).toMatchObject({ full_name: 'Bo', matched: 'auth_user_id' });
    expect((await search('ann')).map((p) => p.full_name).sort()).toEqual(['Ann Smith', 'Annie Smyth']);
    expect((await search('ann smy')).map((p) => p.full_name)).toEqual(['Annie Smyth']);
    expect((await search('annie.sm')).map((p) => p.matched)).toEqual(['email_prefix']);
    expect(await search('a')).toEqual([]);
    expect(await search('ann', KEY_B)).toEqual([]);
    expect((await t.request('POST', '/v1/profiles/search', KEY_A, { q: 5 })).status).toBe(400);
  });

  it('answers the profile with its names, primary contacts and segments', async () => {
    expect((await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'tagged', name: 'Tagged', priority: 5, rule: { field: 'tags', op: 'contains', value: 'vip' } })).status).toBe(200);
    const ann = await idOf('ann.smith@console.test');
    const profile = (await t.request('GET', `/v1/profiles/${ann}`, KEY_A)).body;
    expect(profile).toMatchObject({ full_name: 'Ann Smith', primary_email: 'ann.smith@console.test', primary_phone: null, segments: ['tagged'], primary_segment: 'tagged', tags: ['vip'] });
    // From the serving copy in Postgres: a second segment of lower priority is the primary one, and leaving one shows at once.
    expect((await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'smiths', name: 'Smiths', priority: 1, rule: { field: 'last_name', op: '=', value: 'Smith' } })).status).toBe(200);
    expect((await t.request('GET', '/v1/profiles?email=ann.smith%40console.test', KEY_A)).body).toMatchObject({ segments: ['smiths', 'tagged'], primary_segment: 'smiths' });
    expect((await t.request('PUT', '/v1/segments/smiths', KEY_A, { name: 'Smiths', priority: 50, rule: { field: 'last_name', op: '=', value: 'Smith' } })).status).toBe(200);
    expect((await t.request('GET', `/v1/profiles/${ann}`, KEY_A)).body.primary_segment).toBe('tagged');
    expect((await t.request('PUT', '/v1/segments/smiths', KEY_A, { name: 'Smiths', priority: 50, rule: { field: 'last_name', op: '=', value: 'Nobody' } })).status).toBe(200);
    expect((await t.request('GET', `/v1/profiles/${ann}`, KEY_A)).body.segments).toEqual(['tagged']);
    const preview = await t.request('POST', '/v1/segments/preview', KEY_A_READ, { rule: { field: 'first_name', op: 'starts_with', value: 'Ann' } });
    expect(preview.status).toBe(200);
    expect(preview.body.members).toBe(2);
    expect(preview.body.sample.map((m: { first_name: string }) => m.first_name).sort()).toEqual(['Ann', 'Annie']);
    const bad = await t.request('POST', '/v1/segments/preview', KEY_A, { rule: { field: 'nope', op: '=', value: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/rule/field');
  });

  it('approves and rejects suggested matches, once each, merge safety included', async () => {
    const [ann, annie, bo, cy] = (await Promise.all(['ann.smith@console.test', 'annie.smyth@console.test', 'bo@console.test', 'cy@console.test'].map(idOf))) as [string, string, string, string];
    const suggest = async (a: string, b: string) =>
      (await t.db.pool.query<{ id: string }>("INSERT INTO match_reviews (tenant_id, customer360_id, candidate_id, probability, evidence, event_id) VALUES ('tenant_a', $1, $2, 0.9, '[]', 'cn-x') RETURNING id::text", [a, b])).rows[0]!.id;
    const approveId = await suggest(annie, ann);
    const rejectId = await suggest(bo, cy);
    const queue = (await t.request('GET', '/v1/identity/review', KEY_A)).body.suggested_matches.map((s: { id: string }) => s.id);
    expect(queue).toEqual(expect.arrayContaining([approveId, rejectId]));

    // Different auth user IDs: refused, and the suggestion stays open.
    const refused = await t.request('POST', `/v1/identity/review/${rejectId}/approve`, KEY_A);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/different auth user IDs/);
    expect((await t.request('POST', `/v1/identity/review/${rejectId}/reject`, KEY_A_READ)).status).toBe(403);
    expect((await t.request('POST', `/v1/identity/review/${rejectId}/reject`, KEY_A)).body).toEqual({ id: rejectId, status: 'rejected' });
    expect((await t.request('POST', `/v1/identity/review/${rejectId}/reject`, KEY_A)).status).toBe(409);

    const approved = await t.request('POST', `/v1/identity/review/${approveId}/approve`, KEY_A);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ survivor_id: ann, merged_id: annie });
    const survivor = (await t.request('GET', `/v1/profiles/${annie}`, KEY_A)).body;
    expect(survivor.customer360_id).toBe(ann);
    expect(survivor.emails.sort()).toEqual(['ann.smith@console.test', 'annie.smyth@console.test']);
    expect(survivor.merged_ids).toEqual([annie]);
    const merges = (await t.request('GET', `/v1/profiles/${ann}/merges`, KEY_A)).body;
    expect(JSON.stringify(merges)).toContain('manual');
    // Published as a merge.
    const rows = await t.db.pool.query<{ value: Buffer }>('SELECT value FROM transport_log WHERE topic = $1', [t.runtime.topics.profileChanges]);
    const changes = await Promise.all(rows.rows.map((r) => t.runtime.codec.decode<ProfileChange>(t.runtime.topics.profileChanges, r.value)));
    expect(changes.some((c) => c.kind === 'merged' && c.customer360_id === ann && c.merged_ids.includes(annie))).toBe(true);
    // A split gives Annie back.
    expect((await t.request('POST', `/v1/profiles/${ann}/split`, KEY_A, { merged_id: annie })).status).toBe(200);
    expect((await t.request('GET', `/v1/profiles/${annie}`, KEY_A)).body.customer360_id).toBe(annie);
  });

  it('keeps a pair the resolver suggested and a person rejected from being suggested again', async () => {
    const person = (id: string, email: string, traits: Record<string, string>) => ({ event_id: id, source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T10:00:00Z', identity: { email }, traits });
    await t.request('POST', '/v1/events', KEY_A, [person('rv-1', 'mo.1@console.test', { first_name: 'Margaret', last_name: 'Okonkwo', date_of_birth: '1971-03-14', city: 'Leeds', postal_code: 'LS1 4AP' })]);
    const first = await waitFor(async () => (await t.request('GET', '/v1/profiles?email=mo.1%40console.test', KEY_A)).body.customer360_id ?? null, 30_000, 'the first record');
    // The same name and address, no date of birth, another email: probably the same person, not surely.
    const again = person('rv-2', 'mo.2@console.test', { first_name: 'Margaret', last_name: 'Okonkwo', city: 'Leeds', postal_code: 'LS1 4AP' });
    await t.request('POST', '/v1/events', KEY_A, [again]);
    const pair = async () => (await t.db.pool.query<{ id: string; status: string }>("SELECT id::text, status FROM match_reviews WHERE tenant_id = 'tenant_a' AND (customer360_id = $1 OR candidate_id = $1) ORDER BY id", [first])).rows;
    const [suggestion] = await waitFor(async () => ((await pair()).length ? pair() : null), 30_000, 'the suggestion');
    expect((await t.request('GET', '/v1/identity/review', KEY_A)).body.suggested_matches.map((s: { id: string }) => s.id)).toContain(suggestion!.id);
    expect((await t.request('POST', `/v1/identity/review/${suggestion!.id}/reject`, KEY_A)).status).toBe(200);
    // The second profile's next event scores the pair the same way: no new suggestion.
    await t.request('POST', '/v1/events', KEY_A, [{ ...again, event_id: 'rv-3', occurred_at: '2026-04-02T10:00:00Z' }]);
    await waitFor(async () => (await t.db.pool.query("SELECT 1 FROM event_links WHERE tenant_id = 'tenant_a' AND event_id = 'rv-3'")).rowCount === 1, 30_000, 'the next event');
    expect((await pair()).map((r) => r.status)).toEqual(['rejected']);
  });

  it('merges two profiles a person picks, unless merge safety refuses', async () => {
    const [bo, cy] = (await Promise.all(['bo@console.test', 'cy@console.test'].map(idOf))) as [string, string];
    const refused = await t.request('POST', `/v1/profiles/${bo}/merge`, KEY_A, { profile_id: cy });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/different auth user IDs/);
    expect((await t.request('POST', `/v1/profiles/${bo}/merge`, KEY_A, { profile_id: bo })).status).toBe(409);
    expect((await t.request('POST', `/v1/profiles/${bo}/merge`, KEY_B, { profile_id: cy })).status).toBe(404);
    expect((await t.request('POST', `/v1/profiles/${bo}/merge`, KEY_A, {})).status).toBe(400);

    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'cn-5', source: 'pos', type: 'order_completed', occurred_at: '2026-04-05T10:00:00Z', identity: { phone: '+1 212 555 0100' }, properties: { order_id: 'CN-1', total_minor: 900, currency: 'USD' } }]);
    const walkIn = await waitFor(async () => (await t.request('GET', '/v1/profiles?phone=%2B12125550100', KEY_A)).body.customer360_id ?? null, 30_000, 'the walk-in');
    const merged = await t.request('POST', `/v1/profiles/${walkIn}/merge`, KEY_A, { profile_id: bo });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ survivor_id: bo, merged_id: walkIn });
    expect((await t.request('GET', '/v1/profiles?phone=%2B12125550100', KEY_A)).body).toMatchObject({ customer360_id: bo, auth_user_id: 'u-bo' });
  });

  it('gives the pipeline health series, aligned with their minutes', async () => {
    const health = (await t.request('GET', '/v1/pipeline/health', KEY_A_READ)).body;
    expect(health.minutes.length).toBeGreaterThanOrEqual(1);
    expect(health.series.events_in.crm.length).toBe(health.minutes.length);
    expect(health.totals.events_in.crm).toBeGreaterThanOrEqual(2);
    expect(Object.keys(health.series.links)).toEqual(expect.arrayContaining(['new_profile']));
  });
});
