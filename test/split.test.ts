/**
 * Split (unmerge) of a merged profile through the API and the CLI, on the embedded pipeline:
 * the profile comes back with what it brought, the pair never merges again automatically, and
 * the warehouse attributes the restored profile's history to it again.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('split (unmerge)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const send = (events: Record<string, unknown>[]) => t.request('POST', '/v1/events', KEY_A, events);
  const ev = (id: string, identity: Record<string, string>, day: number, first_name = 'Ann') => ({
    event_id: id,
    source: 'crm',
    type: 'contact_updated',
    occurred_at: new Date(Date.UTC(2026, 5, day)).toISOString(),
    identity,
    traits: { first_name },
  });
  const profile = async (query: string) => {
    const r = await t.request('GET', `/v1/profiles?${query}`, KEY_A);
    return r.status === 200 ? r.body : null;
  };

  /** Two profiles (by email, by phone) merged by an event carrying both; their IDs. */
  async function mergedPair(tag: string, phone: string) {
    expect((await send([ev(`${tag}-1`, { email: `${tag}@mail.test` }, 1)])).status).toBe(200);
    const byEmail = await waitFor(() => profile(`email=${tag}%40mail.test`), 20_000, 'the email profile');
    expect((await send([ev(`${tag}-2`, { phone }, 2)])).status).toBe(200);
    const byPhone = await waitFor(() => profile(`phone=${encodeURIComponent(phone)}`), 20_000, 'the phone profile');
    expect(byPhone.customer360_id).not.toBe(byEmail.customer360_id);
    expect((await send([ev(`${tag}-3`, { email: `${tag}@mail.test`, phone }, 3)])).status).toBe(200);
    const merged = await waitFor(async () => {
      const p = await profile(`email=${tag}%40mail.test`);
      return p?.merged_ids.length === 1 ? p : null;
    }, 20_000, 'the merge');
    return { survivor: merged.customer360_id as string, mergedAway: merged.merged_ids[0] as string };
  }

  it('restores a merged-away profile through the API and keeps the pair apart afterwards', async () => {
    const phone = '+14155550188';
    const { survivor, mergedAway } = await mergedPair('split-a', phone);
    const merges = await t.request('GET', `/v1/profiles/${survivor}/merges`, KEY_A);
    expect(merges.body.merges).toMatchObject([{ merged_id: mergedAway, rule: 'email_phone', split_at: null }]);

    const split = await t.request('POST', `/v1/profiles/${survivor}/split`, KEY_A, { merged_id: mergedAway, reason: 'two people, one phone' });
    expect(split.status).toBe(200);
    // Audited with the key that asked, by its public ID.
    const audit = await t.db.pool.query('SELECT reason, requested_by FROM profile_splits WHERE survivor_id = $1 AND restored_id = $2', [survivor, mergedAway]);
    expect(audit.rows).toEqual([{ reason: 'two people, one phone', requested_by: expect.stringMatching(/^config-[0-9a-f]{12}$/) }]);
    expect(split.body.restored).toMatchObject({ customer360_id: mergedAway, phones: [phone], emails: [] });
    expect(split.body.survivor).toMatchObject({ customer360_id: survivor, phones: [], emails: ['split-a@mail.test'], merged_ids: [] });
    expect((await profile(`phone=${encodeURIComponent(phone)}`)).customer360_id).toBe(mergedAway);
    expect((await t.request('GET', `/v1/profiles/${mergedAway}`, KEY_A)).body.customer360_id).toBe(mergedAway);

    // The same evidence again does not merge them back; the refusal is recorded.
    expect((await send([ev('split-a-4', { email: 'split-a@mail.test', phone }, 4)])).status).toBe(200);
    // Resolved (its link is in the graph) and counted in the warehouse.
    await waitFor(async () => (await t.db.pool.query("SELECT 1 FROM event_links WHERE event_id = 'split-a-4'")).rowCount === 1, 20_000, 'the new event resolved');
    await waitFor(async () => (await profile('email=split-a%40mail.test'))?.aggregates.events_count >= 3, 20_000, 'the new event');
    expect((await profile('email=split-a%40mail.test')).merged_ids).toEqual([]);
    expect((await profile(`phone=${encodeURIComponent(phone)}`)).customer360_id).toBe(mergedAway);
    const refused = await t.db.pool.query("SELECT count(*)::int AS n FROM blocked_merges WHERE reason = 'split apart by a person'");
    expect(refused.rows[0].n).toBeGreaterThanOrEqual(1);
    // Visible to a person and counted.
    const review = await t.request('GET', '/v1/identity/review', KEY_A);
    expect(review.body.blocked_merges.some((b: { reason: string; profile_ids: string[] }) => b.reason === 'split apart by a person' && b.profile_ids.includes(mergedAway))).toBe(true);
    expect((await t.request('GET', '/v1/identity/review', KEY_B)).body.blocked_merges).toEqual([]);
    const metrics = await t.request('GET', '/metrics', null);
    expect(metrics.body).toMatch(/c360_blocked_merges_total\{reason="split apart by a person"\} [1-9]/);

    // The warehouse maps the restored ID to itself again.
    const ch = t.runtime.clickhouse!;
    await waitFor(async () => {
      const rows = await (
        await ch.client.query({
          query: `SELECT toString(current_id) AS current FROM ${ch.database}.profile_id_map FINAL WHERE profile_id = {id:UUID}`,
          query_params: { id: mergedAway },
          format: 'JSONEachRow',
        })
      ).json<{ current: string }>();
      return rows[0]?.current === mergedAway;
    }, 20_000, 'the restored profile in the ID map');

    // A second split of the same pair, a pair never merged, another tenant, a bad body: refused.
    expect((await t.request('POST', `/v1/profiles/${survivor}/split`, KEY_A, { merged_id: mergedAway })).status).toBe(409);
    expect((await t.request('POST', `/v1/profiles/${survivor}/split`, KEY_B, { merged_id: mergedAway })).status).toBe(404);
    expect((await t.request('POST', `/v1/profiles/${survivor}/split`, KEY_A, { merged_id: 'nope' })).status).toBe(400);
  });

  it('applies the survivorship rules a tenant sets per field', async () => {
    const put = await t.request('PUT', '/v1/identity/survivorship', KEY_A, { rules: { first_name: { rule: 'source_priority', sources: ['crm'] } } });
    expect(put.status).toBe(200);
    expect((await t.request('GET', '/v1/identity/survivorship', KEY_A)).body.rules).toEqual({ first_name: { rule: 'source_priority', sources: ['crm'] } });
    expect((await t.request('GET', '/v1/identity/survivorship', KEY_B)).body.rules).toEqual({});
    expect((await t.request('PUT', '/v1/identity/survivorship', KEY_A, { rules: { first_name: { rule: 'loudest' } } })).status).toBe(400);
    // The CRM's name survives a newer one typed at the till; the city follows the default (most recent).
    await send([{ ...ev('surv-1', { email: 'surv@mail.test' }, 1, 'Katherine'), traits: { first_name: 'Katherine', city: 'Oakland' } }]);
    await send([{ ...ev('surv-2', { email: 'surv@mail.test' }, 5, 'KATE'), source: 'pos', type: 'order_placed', traits: { first_name: 'KATE', city: 'Berkeley' } }]);
    const p = await waitFor(async () => {
      const x = await profile('email=surv%40mail.test');
      return x?.aggregates.events_count === 2 && x.traits.city === 'Berkeley' ? x : null;
    }, 20_000, 'both events on the profile');
    expect(p.traits.first_name).toBe('Katherine');
  });

  it("applies a tenant's phone region and email provider rules, to events and to lookups", async () => {
    expect((await t.request('PUT', '/v1/identity/settings', KEY_B, { default_region: 'gb', email_provider_rules: true })).status).toBe(400);
    const put = await t.request('PUT', '/v1/identity/settings', KEY_B, { default_region: 'GB', email_provider_rules: true });
    const sourcePriority = ['crm', 'pos', 'messaging', 'web'];
    expect(put.body).toEqual({ default_region: 'GB', email_provider_rules: true, identifier_sharing_limits: { email: 5, phone: 5, anonymous_id: 5 }, source_priority: sourcePriority });
    expect((await t.request('GET', '/v1/identity/settings', KEY_A)).body).toEqual({ default_region: null, email_provider_rules: false, identifier_sharing_limits: { email: 5, phone: 5, anonymous_id: 5 }, source_priority: sourcePriority });
    // Sharing limits per identifier type: a bad one is refused with the reason, a good one kept.
    const bad = await t.request('PUT', '/v1/identity/settings', KEY_B, { default_region: 'GB', email_provider_rules: true, identifier_sharing_limits: { phone: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('identifier_sharing_limits.phone: must be a whole number from 1 to 1000');
    expect((await t.request('PUT', '/v1/identity/settings', KEY_B, { identifier_sharing_limits: { auth_user_id: 2 } })).status).toBe(400);
    const limited = { default_region: 'GB', email_provider_rules: true, identifier_sharing_limits: { phone: 3, email: 10 } };
    expect((await t.request('PUT', '/v1/identity/settings', KEY_B, limited)).body).toEqual({ ...limited, source_priority: sourcePriority });
    expect((await t.request('GET', '/v1/identity/settings', KEY_B)).body).toEqual({ ...limited, source_priority: sourcePriority });
    const sendB = (events: Record<string, unknown>[]) => t.request('POST', '/v1/events', KEY_B, events);
    await sendB([ev('set-1', { email: 'Jo.Doe+shop@gmail.com', phone: '020 7946 0018' }, 1, 'Jo')]);
    await sendB([ev('set-2', { email: 'jodoe@googlemail.com' }, 2, 'Jo')]);
    const p = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=jo.doe%40gmail.com', KEY_B);
      return r.status === 200 && r.body.aggregates.events_count === 2 ? r.body : null;
    }, 20_000, 'both events on one profile');
    expect(p.emails).toEqual(['jodoe@gmail.com']);
    expect(p.phones).toEqual(['+442079460018']);
    expect((await t.request('GET', '/v1/profiles?phone=020%207946%200018', KEY_B)).body.customer360_id).toBe(p.customer360_id);
  });

  it('gives each profile back its own traits when split', async () => {
    const at = (day: number) => new Date(Date.UTC(2026, 6, day)).toISOString();
    const contact = (id: string, identity: Record<string, string>, day: number, traits: Record<string, string>) => ({
      event_id: id,
      source: 'crm',
      type: 'contact_updated',
      occurred_at: at(day),
      identity,
      traits: { first_name: 'Ann', ...traits },
    });
    const phone = '+14155550166';
    await send([contact('traits-1', { email: 'traits@mail.test' }, 1, { last_name: 'Adler' })]);
    await waitFor(() => profile('email=traits%40mail.test'), 20_000, 'the email profile');
    await send([contact('traits-2', { phone }, 2, { last_name: 'Brandt', city: 'Kiel' })]);
    await waitFor(() => profile(`phone=${encodeURIComponent(phone)}`), 20_000, 'the phone profile');
    await send([contact('traits-3', { email: 'traits@mail.test', phone }, 3, {})]);
    const merged = await waitFor(async () => {
      const p = await profile('email=traits%40mail.test');
      return p?.merged_ids.length === 1 ? p : null;
    }, 20_000, 'the merge');
    expect(merged.traits).toMatchObject({ last_name: 'Brandt', city: 'Kiel' });

    const split = await t.request('POST', `/v1/profiles/${merged.customer360_id}/split`, KEY_A, { merged_id: merged.merged_ids[0] });
    expect(split.status).toBe(200);
    expect(split.body.survivor.traits).toEqual({ first_name: 'Ann', last_name: 'Adler' });
    expect(split.body.restored.traits).toEqual({ first_name: 'Ann', last_name: 'Brandt', city: 'Kiel' });
  });

  it('splits through the CLI', async () => {
    const { survivor, mergedAway } = await mergedPair('split-b', '+14155550189');
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/c360.js', 'split', '--url', t.url, '--key', KEY_A, '--profile', survivor, '--merged', mergedAway]);
    expect(stdout).toContain(`split ${mergedAway} off ${survivor}`);
    expect((await t.request('GET', `/v1/profiles/${mergedAway}`, KEY_A)).body.customer360_id).toBe(mergedAway);
    await expect(
      promisify(execFile)(process.execPath, ['bin/c360.js', 'split', '--url', t.url, '--key', KEY_A, '--profile', survivor, '--merged', mergedAway]),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('409') });
  });
});
