/**
 * The Segment-compatible web connector, driven by the real @segment/analytics-node client
 * pointed at the local server, on the embedded pipeline.
 */
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeOfSegment, eventTypeOf } from '../ingest/segment.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('Segment-compatible endpoints', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('takes identify, page, track and alias from analytics-node and resolves them into one profile', async () => {
    const errors: unknown[] = [];
    const analytics = new Analytics({ writeKey: KEY_A, host: t.url, flushAt: 50, flushInterval: 200, maxRetries: 1 });
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({ userId: 'seg-u1', anonymousId: 'seg-a1', traits: { email: 'Seg.User@Mail.test', firstName: 'Sam', phone: '(415) 555-0177' } });
    analytics.page({ anonymousId: 'seg-a1', name: 'Home', properties: { url: 'https://shop.test/' } });
    analytics.track({ userId: 'seg-u1', event: 'Order Completed', properties: { order_id: 'so-1', total: 42.5, currency: 'USD' } });
    analytics.alias({ userId: 'seg-u1', previousId: 'seg-a2' });
    analytics.track({ anonymousId: 'seg-a2', event: 'Product Viewed', properties: { product_id: 'p-9' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const profile = await waitFor(
      async () => {
        const r = await t.request('GET', '/v1/profiles?email=seg.user%40mail.test', KEY_A);
        return r.status === 200 && r.body.aggregates.events_count === 5 ? r.body : null;
      },
      20_000,
      'the profile of the Segment user',
    );
    expect(profile.auth_user_id).toBe('seg-u1');
    expect(profile.anonymous_ids.sort()).toEqual(['seg-a1', 'seg-a2']);
    expect(profile.phones).toEqual(['+14155550177']);
    expect(profile.traits.first_name).toBe('Sam');
    expect(profile.aggregates.orders_count).toBe(1);
    expect(profile.aggregates.total_revenue).toBeCloseTo(42.5);
    const byAnonymous = await t.request('GET', '/v1/profiles?anonymous_id=seg-a2', KEY_A);
    expect(byAnonymous.body.customer360_id).toBe(profile.customer360_id);
  });

  it('answers bad Segment messages with the reason and keeps the good ones of a batch', async () => {
    const basic = `Basic ${Buffer.from(`${KEY_A}:`).toString('base64')}`;
    const post = (route: string, body: unknown) =>
      fetch(`${t.url}${route}`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const missingEvent = await post('/v1/track', { userId: 'x1' });
    expect(missingEvent.status).toBe(400);
    expect(((await missingEvent.json()) as { message: string }).message).toBe('track needs event');
    const noIds = await post('/v1/identify', { traits: { email: 'a@mail.test' } });
    expect(noIds.status).toBe(400);

    const batch = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'x2', event: 'Signed Up', messageId: 'm-good' },
        { type: 'fly', userId: 'x2', messageId: 'm-bad-type' },
        { type: 'identify', messageId: 'm-no-id' },
      ],
    });
    expect(batch.status).toBe(200);
    const answer = (await batch.json()) as { accepted: number; results: { status: string; event_id?: string; errors?: { message: string }[] }[] };
    expect(answer.accepted).toBe(1);
    expect(answer.results.map((r) => [r.event_id, r.status])).toEqual([
      ['m-good', 'accepted'],
      ['m-bad-type', 'rejected'],
      ['m-no-id', 'rejected'],
    ]);
    expect(answer.results[1]!.errors![0]!.message).toMatch(/^type must be one of/);
    expect(answer.results[2]!.errors![0]!.message).toBe('userId or anonymousId is required');

    const wrongKey = await fetch(`${t.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('nope_wrong_key:').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'x', event: 'E' }),
    });
    expect(wrongKey.status).toBe(401);
  });
});

describe('Segment message mapping', () => {
  it('names events in snake case', () => {
    expect(eventTypeOf('Order Completed')).toBe('order_completed');
    expect(eventTypeOf('productViewed')).toBe('product_viewed');
    expect(eventTypeOf('  Sign-up / Step 2 ')).toBe('sign_up_step_2');
  });

  it('maps spec traits, the page context and the order total', () => {
    const page = envelopeOfSegment(
      { anonymousId: 'a', context: { page: { url: 'https://s.test/x', title: 'X' } }, timestamp: '2026-01-01T00:00:00Z', messageId: 'm1' },
      'page',
    );
    expect(page).toEqual({
      envelope: {
        event_id: 'm1',
        source: 'web',
        type: 'page_viewed',
        occurred_at: '2026-01-01T00:00:00Z',
        identity: { auth_user_id: null, anonymous_id: 'a', email: null, phone: null },
        traits: {},
        properties: { url: 'https://s.test/x', title: 'X' },
      },
    });
    const identify = envelopeOfSegment(
      { userId: 'u', messageId: 'm2', traits: { firstName: 'Ann', lastName: 'Lee', email: 'a@mail.test', address: { city: 'Oakland', postalCode: '94607' } } },
      'identify',
    );
    expect('envelope' in identify && identify.envelope.traits).toEqual({ first_name: 'Ann', last_name: 'Lee', city: 'Oakland', postal_code: '94607' });
    const order = envelopeOfSegment({ userId: 'u', event: 'Order Completed', properties: { revenue: 10 } }, 'track');
    expect('envelope' in order && (order.envelope.properties as { amount: number }).amount).toBe(10);
    // Without a messageId the same message always gets the same event_id, so a retry counts once.
    const a = envelopeOfSegment({ userId: 'u', event: 'E', timestamp: '2026-01-01T00:00:00Z' }, 'track');
    const b = envelopeOfSegment({ userId: 'u', event: 'E', timestamp: '2026-01-01T00:00:00Z' }, 'track');
    expect('envelope' in a && 'envelope' in b && a.envelope.event_id === b.envelope.event_id).toBe(true);
  });
});
