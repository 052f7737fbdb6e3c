/**
 * Consent written through the API: each write is a new version of the profile's consent for
 * the channel, recorded through the pipeline like a consent event, in Postgres and the warehouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('consent through the API', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('records versions per channel, visible on the profile and in the warehouse', async () => {
    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'c-api-1', source: 'web', type: 'page_viewed', occurred_at: '2026-05-01T10:00:00Z', identity: { email: 'hana@mail.test' }, properties: { url: '/' } }]);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=hana%40mail.test', KEY_A);
      return r.status === 200 ? r.body : null;
    }, 30_000, 'the profile');
    const id = profile.customer360_id as string;
    const write = (key: string, body: unknown) => t.request('POST', `/v1/profiles/${id}/consent`, key, body);

    expect((await write(KEY_A, { scope: 'fax', status: 'granted' })).body.message).toBe('scope must be one of email, sms, push, whatsapp (other scopes: PUT /v1/consent/scopes)');
    expect((await write(KEY_A, { scope: 'email', status: 'maybe' })).status).toBe(400);
    expect((await write(KEY_B, { scope: 'email', status: 'granted' })).status).toBe(404);
    const granted = await write(KEY_A, { scope: 'email', status: 'granted', policy_version: 'v2', occurred_at: '2026-05-02T10:00:00Z' });
    expect(granted.status).toBe(202);
    expect(granted.body).toMatchObject({ customer360_id: id, accepted: true });
    expect((await write(KEY_A, { scope: 'email', status: 'revoked', reason: 'asked by phone', occurred_at: '2026-05-03T10:00:00Z' })).status).toBe(202);

    const history = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${id}/consent`, KEY_A);
      return r.body.records?.length === 2 ? r.body.records : null;
    }, 30_000, 'two versions');
    expect(history).toMatchObject([
      { scope: 'email', status: 'granted', version: 1, policy_version: 'v2', source: 'crm' },
      { scope: 'email', status: 'revoked', version: 2, reason: 'asked by phone', source: 'crm' },
    ]);
    const after = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${id}`, KEY_A);
      return r.body.aggregates.consent?.email === 'revoked' ? r.body : null;
    }, 30_000, 'the warehouse consent');
    expect(after.consent.email).toMatchObject({ status: 'revoked', version: 2 });
  });
});
