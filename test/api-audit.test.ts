/**
 * The audit of API actions: every change through a route of role read or admin is recorded with
 * the key that made it (by its public ID), refusals included, never a body; events sent by ingest
 * keys are not actions; each tenant reads its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_INGEST, KEY_A_READ, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('the audit of API actions', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('records who changed what, and shows each tenant its own', async () => {
    expect((await t.request('POST', '/v1/events', KEY_A_INGEST, [{ event_id: 'au-1', source: 'web', type: 'page_viewed', occurred_at: '2026-05-01T10:00:00Z', identity: { email: 'audit.person@mail.test' }, properties: { url: '/' } }])).status).toBe(200);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=audit.person%40mail.test', KEY_A_READ);
      return r.status === 200 ? r.body : null;
    }, 30_000, 'the profile');

    expect((await t.request('DELETE', `/v1/profiles/${profile.customer360_id}`, KEY_A)).status).toBe(200);
    expect((await t.request('POST', `/v1/profiles/${profile.customer360_id}/restore`, KEY_A)).status).toBe(200);
    expect((await t.request('PUT', '/v1/consent/scopes', KEY_A, { scopes: [{ scope: 'profiling', description: 'secret description' }] })).status).toBe(200);
    expect((await t.request('PUT', '/v1/consent/scopes', KEY_A_READ, { scopes: [] })).status).toBe(403);
    expect((await t.request('PUT', '/v1/consent/scopes', KEY_B, { scopes: [] })).status).toBe(200);

    const { body } = await t.request('GET', '/v1/audit', KEY_A);
    const admin: string = body.actions.find((a: { role: string }) => a.role === 'admin').key_id;
    expect(admin).toMatch(/^config-[0-9a-f]{12}$/);
    expect(body.actions.map((a: any) => [a.method, a.route, a.params, a.status, a.role, a.key_id === admin])).toEqual([
      ['PUT', '/v1/consent/scopes', {}, 403, 'read', false],
      ['PUT', '/v1/consent/scopes', {}, 200, 'admin', true],
      ['POST', '/v1/profiles/:id/restore', { id: profile.customer360_id }, 200, 'admin', true],
      ['DELETE', '/v1/profiles/:id', { id: profile.customer360_id }, 200, 'admin', true],
    ]);
    expect(JSON.stringify(body)).not.toContain('secret description');
    expect(JSON.stringify(body)).not.toContain('audit.person');
    expect(body.next).toBeNull();
    // Paged, newest first.
    const first = await t.request('GET', '/v1/audit?limit=3', KEY_A);
    expect(first.body.actions).toHaveLength(3);
    const rest = await t.request('GET', `/v1/audit?limit=3&before=${first.body.next}`, KEY_A);
    expect(rest.body.actions.map((a: { route: string }) => a.route)).toEqual(['/v1/profiles/:id']);

    // The other tenant sees only its own; a read key may not read the audit.
    expect((await t.request('GET', '/v1/audit', KEY_B)).body.actions.map((a: { route: string; status: number }) => [a.route, a.status])).toEqual([['/v1/consent/scopes', 200]]);
    expect((await t.request('GET', '/v1/audit', KEY_A_READ)).status).toBe(403);
  });
});
