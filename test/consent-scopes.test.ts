/**
 * Consent scopes beyond the channels, configured per tenant: the API that lists and replaces
 * them, versions of their consent from events and from the API, the profile's current state per
 * scope, and a consent event for a scope the tenant never configured kept as a dead letter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../platform/transport.ts';
import { deadLetterTopic } from '../schemas/topics.ts';
import { uniqueName, waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_READ, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('consent scopes per tenant', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const consent = (id: string, scope: string, status: string, at: string, policy: string) => ({
    event_id: id,
    source: 'crm',
    type: 'consent_changed',
    occurred_at: at,
    identity: { email: 'sol@scopes.test' },
    properties: { scope, status, policy_version: policy },
  });

  it('lists the channels and the configured scopes, and replaces the scopes as an admin only', async () => {
    expect((await t.request('GET', '/v1/consent/scopes', KEY_A_READ)).body).toEqual({ channels: ['email', 'sms', 'push', 'whatsapp'], scopes: [] });
    const bad = async (scopes: unknown) => (await t.request('PUT', '/v1/consent/scopes', KEY_A, { scopes })).body.message;
    expect(await bad([{ scope: 'email' }])).toMatch(/is a channel/);
    expect(await bad([{ scope: 'Terms Of Service' }])).toMatch(/lower case letters/);
    expect(await bad(['profiling', 'profiling'])).toMatch(/given twice/);
    expect(await bad('profiling')).toMatch(/must be an array/);
    expect((await t.request('PUT', '/v1/consent/scopes', KEY_A_READ, { scopes: [] })).status).toBe(403);

    const put = await t.request('PUT', '/v1/consent/scopes', KEY_A, { scopes: [{ scope: 'terms_of_service', description: 'Terms of service' }, 'profiling'] });
    expect(put.status).toBe(200);
    expect(put.body.scopes).toEqual([
      { scope: 'profiling', description: '' },
      { scope: 'terms_of_service', description: 'Terms of service' },
    ]);
    // Per tenant: the other one has none.
    expect((await t.request('GET', '/v1/consent/scopes', KEY_B)).body.scopes).toEqual([]);
  });

  it('versions consent of a configured scope like a channel, from events and from the API', async () => {
    await t.request('PUT', '/v1/consent/scopes', KEY_A, { scopes: ['terms_of_service', 'profiling'] });
    const sent = await t.request('POST', '/v1/events', KEY_A, [
      consent('sc-1', 'profiling', 'granted', '2026-03-01T10:00:00Z', 'p1'),
      consent('sc-2', 'email', 'granted', '2026-03-01T10:00:00Z', 'm1'),
      consent('sc-3', 'profiling', 'revoked', '2026-03-02T10:00:00Z', 'p2'),
    ]);
    expect(sent.body.accepted).toBe(3);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=sol%40scopes.test', KEY_A);
      return r.status === 200 && r.body.consent.profiling?.status === 'revoked' ? r.body : null;
    }, 30_000, 'the profiling consent');
    expect(profile.consent).toMatchObject({ profiling: { status: 'revoked', policy_version: 'p2', version: 2 }, email: { status: 'granted', version: 1 } });

    const viaApi = await t.request('POST', `/v1/profiles/${profile.customer360_id}/consent`, KEY_A, { scope: 'terms_of_service', status: 'granted', policy_version: 'tos-2026' });
    expect(viaApi.status).toBe(202);
    type Version = { scope: string; version: number; status: string; policy_version: string | null };
    const records: Version[] = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${profile.customer360_id}/consent`, KEY_A);
      return r.body.records?.some((v: Version) => v.scope === 'terms_of_service') ? r.body.records : null;
    }, 30_000, 'the terms of service consent');
    const history: Record<string, Version[]> = {};
    for (const v of records) (history[v.scope] ??= []).push(v);
    expect(history.profiling!.map((v: Version) => [v.version, v.status])).toEqual([
      [1, 'granted'],
      [2, 'revoked'],
    ]);
    expect(history.terms_of_service).toHaveLength(1);
    expect(history.terms_of_service![0]).toMatchObject({ status: 'granted', policy_version: 'tos-2026', version: 1 });

    // A scope the tenant did not configure: refused by the API, a dead letter of the resolver when sent as an event.
    const refused = await t.request('POST', `/v1/profiles/${profile.customer360_id}/consent`, KEY_A, { scope: 'newsletter_beta', status: 'granted' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/email, sms, push, whatsapp, profiling, terms_of_service/);
    expect((await t.request('POST', '/v1/events', KEY_A, [consent('sc-4', 'newsletter_beta', 'granted', '2026-03-03T10:00:00Z', 'n1')])).body.accepted).toBe(1);
    const seen: InboundMessage[] = [];
    const sub = await t.runtime.transport.subscribe({ groupId: uniqueName('dlq'), topics: [deadLetterTopic(t.runtime.topics.raw.crm)], maxBatchSize: 100, onBatch: async (b) => void seen.push(...b) });
    try {
      await waitFor(async () => seen.length >= 1, 30_000, 'the dead letter');
    } finally {
      await sub.stop();
    }
    expect(seen[0]!.headers['dlq-reason']).toBe('consent scope "newsletter_beta" is not configured for the tenant (PUT /v1/consent/scopes)');
    // A name that is no scope's name is refused at ingest, naming the field.
    const badName = await t.request('POST', '/v1/events', KEY_A, [consent('sc-5', 'Terms!', 'granted', '2026-03-03T10:00:00Z', 'x')]);
    expect(badName.body.results[0]).toMatchObject({ status: 'rejected', errors: [expect.objectContaining({ path: '/properties/scope' })] });
  });
});
