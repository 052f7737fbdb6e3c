/**
 * The profile timeline on the embedded pipeline: newest first across sources, history of a
 * merged-away profile included, paged by cursor, tenant-isolated, bad paging refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('profile timeline', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('pages through every event of a profile and of the profile merged into it, newest first', async () => {
    const ev = (id: string, source: string, type: string, day: number, identity: Record<string, string>, properties: Record<string, unknown> = {}) => ({
      event_id: id,
      source,
      type,
      occurred_at: new Date(Date.UTC(2026, 2, day, 12)).toISOString(),
      identity,
      properties,
    });
    const email = { email: 'tilda@mail.test' };
    const phone = { phone: '+14155550155' };
    // Two profiles (by email, by phone), then an event with both merges them.
    expect((await t.request('POST', '/v1/events', KEY_A, [ev('tl-1', 'web', 'page_viewed', 1, email, { url: '/a' }), ev('tl-2', 'web', 'page_viewed', 2, email, { url: '/b' })])).status).toBe(200);
    await waitFor(async () => (await t.request('GET', '/v1/profiles?email=tilda%40mail.test', KEY_A)).status === 200, 20_000, 'the email profile');
    expect((await t.request('POST', '/v1/events', KEY_A, [ev('tl-3', 'crm', 'note_added', 3, phone, { note_id: 'n1', body: 'called back' })])).status).toBe(200);
    await waitFor(async () => (await t.request('GET', '/v1/profiles?phone=%2B14155550155', KEY_A)).status === 200, 20_000, 'the phone profile');
    expect((await t.request('POST', '/v1/events', KEY_A, [ev('tl-4', 'crm', 'contact_updated', 4, { ...email, ...phone })])).status).toBe(200);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=tilda%40mail.test', KEY_A);
      return r.body?.merged_ids?.length === 1 && r.body.aggregates.events_count === 4 ? r.body : null;
    }, 20_000, 'the merge, counted');
    const id = profile.customer360_id as string;

    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const page = await t.request('GET', `/v1/profiles/${id}/timeline?limit=3${cursor ? `&before=${cursor}` : ''}`, KEY_A);
      expect(page.status).toBe(200);
      pages.push(page.body.events.length);
      seen.push(...page.body.events.map((e: { event_id: string }) => e.event_id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toEqual(['tl-4', 'tl-3', 'tl-2', 'tl-1']);
    expect(pages).toEqual([3, 1]);
    // The merged-away profile's note, as it was recorded, with its properties.
    const all = await t.request('GET', `/v1/profiles/${profile.merged_ids[0]}/timeline`, KEY_A);
    expect(all.body.customer360_id).toBe(id);
    const note = all.body.events.find((e: { event_id: string }) => e.event_id === 'tl-3');
    expect(note).toMatchObject({ source: 'crm', type: 'note_added', linked_profile_id: profile.merged_ids[0], occurred_at: '2026-03-03T12:00:00.000Z' });

    // Another tenant sees nothing; bad paging is refused with the reason.
    expect((await t.request('GET', `/v1/profiles/${id}/timeline`, KEY_B)).status).toBe(404);
    expect((await t.request('GET', `/v1/profiles/${id}/timeline?limit=0`, KEY_A)).body.message).toBe('limit must be a whole number from 1 to 500');
    expect((await t.request('GET', `/v1/profiles/${id}/timeline?before=nonsense`, KEY_A)).status).toBe(400);
  });
});
