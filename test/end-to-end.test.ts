/**
 * From HTTP to profile on the real engines, in the embedded mode (the log in Postgres, chDB)
 * and in the distributed mode (Kafka on the test broker).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_POS, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

// Each person has a phone of their own (555-0100 to 555-0199 are reserved for fiction).
const phoneOf = (tag: string) => String(100 + Number(tag.replace(/\D/g, '')));
const person = (tag: string) => [
  {
    event_id: `${tag}-crm-1`,
    source: 'crm',
    type: 'contact_created',
    occurred_at: '2026-01-05T10:00:00Z',
    identity: { email: `  Ann.Lee.${tag}@Mail.TEST `, phone: `(415) 555-0${phoneOf(tag)}`, source_record_id: `CRM-${tag}` },
    traits: { first_name: 'Ann', last_name: 'Lee', city: 'Oakland' },
  },
  {
    event_id: `${tag}-pos-1`,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-02-01T12:00:00Z',
    identity: { phone: `+1 415.555.0${phoneOf(tag)}`, source_record_id: `POS-${tag}` },
    properties: { order_id: `o-${tag}-1`, total_minor: 2550, currency: 'USD' },
  },
  {
    event_id: `${tag}-pos-2`,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-02-03T12:00:00Z',
    identity: { phone: `4155550${phoneOf(tag)}` },
    properties: { order_id: `o-${tag}-2`, total_minor: 1000, currency: 'USD' },
  },
  {
    event_id: `${tag}-web-1`,
    source: 'web',
    type: 'identify',
    occurred_at: '2026-02-02T09:00:00Z',
    identity: { email: `ann.lee.${tag}@mail.test`, auth_user_id: `auth|${tag}`, anonymous_id: `anon-${tag}` },
    traits: { first_name: 'Annie' },
  },
  {
    event_id: `${tag}-msg-1`,
    source: 'messaging',
    type: 'message_opened',
    occurred_at: '2026-02-04T09:00:00Z',
    identity: { email: `ANN.LEE.${tag}@mail.test`, source_record_id: `MSG-${tag}` },
    properties: { campaign_id: 'spring', channel: 'email' },
  },
];

function pipelineSuite(name: string, start: () => Promise<TestRuntime>) {
  describe(name, () => {
    let t: TestRuntime;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      await t?.stop();
    });

    it('answers /healthz once ready', async () => {
      const health = await t.request('GET', '/healthz', null);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', stages: { resolver: { attempts: 0, error: null }, enrich: { attempts: 0, error: null } } });
    });

    it('merges one person sent by four sources into one profile with aggregates', async () => {
      const sent = await t.request('POST', '/v1/events', KEY_A, person('p1'));
      expect(sent.status).toBe(200);
      expect(sent.body.accepted).toBe(5);
      expect(sent.body.results.every((r: { status: string }) => r.status === 'accepted')).toBe(true);

      const profile = await waitFor(
        async () => {
          const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ann.lee.p1@mail.test')}`, KEY_A);
          return r.status === 200 && r.body.aggregates.events_count === 5 && r.body.source_ids.messaging ? r.body : null;
        },
        20_000,
        'the merged profile with its aggregates',
      );
      expect(profile.emails).toEqual(['ann.lee.p1@mail.test']);
      expect(profile.phones).toEqual(['+14155550101']);
      expect(profile.aggregates.orders_count).toBe(2);
      expect(profile.auth_user_id).toBe('auth|p1');
      expect(profile.source_ids).toEqual({ crm: ['CRM-p1'], pos: ['POS-p1'], messaging: ['MSG-p1'] });
      expect(profile.anonymous_ids).toEqual(['anon-p1']);
      expect(profile.traits.first_name).toBe('Annie');
      expect(profile.traits.city).toBe('Oakland');
      expect(profile.aggregates.total_revenue).toBeCloseTo(35.5);
      expect(profile.aggregates.events_count).toBe(5);

      // Every identifier finds the same profile.
      const id = profile.customer360_id;
      for (const query of ['phone=(415)%20555-0101', 'auth_user_id=auth%7Cp1', 'source=pos&source_record_id=POS-p1', 'anonymous_id=anon-p1']) {
        const r = await t.request('GET', `/v1/profiles?${query}`, KEY_A);
        expect(r.status, query).toBe(200);
        expect(r.body.customer360_id, query).toBe(id);
      }
      const byId = await t.request('GET', `/v1/profiles/${id}`, KEY_A);
      expect(byId.body.customer360_id).toBe(id);
    });

    it('counts a resent event once', async () => {
      const events = person('p2');
      await t.request('POST', '/v1/events', KEY_A, events);
      const again = await t.request('POST', '/v1/events', KEY_A, { events: [events[1], events[2]] });
      expect(again.body.accepted).toBe(2);
      const profile = await waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ann.lee.p2@mail.test')}`, KEY_A);
        return r.status === 200 && r.body.aggregates.events_count === 5 ? r.body : null;
      }, 20_000, 'profile p2');
      await new Promise((r) => setTimeout(r, 1000));
      const later = await t.request('GET', `/v1/profiles/${profile.customer360_id}`, KEY_A);
      expect(later.body.aggregates.orders_count).toBe(2);
      expect(later.body.aggregates.events_count).toBe(5);
    });

    it('never shows one tenant the profiles of another', async () => {
      const a = await waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ann.lee.p1@mail.test')}`, KEY_A);
        return r.status === 200 ? r.body : null;
      });
      expect((await t.request('GET', `/v1/profiles/${a.customer360_id}`, KEY_B)).status).toBe(404);
      expect((await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ann.lee.p1@mail.test')}`, KEY_B)).status).toBe(404);
      // The same email sent by tenant B makes a profile of B's own.
      await t.request('POST', '/v1/events', KEY_B, [person('p1')[0]]);
      const b = await waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ann.lee.p1@mail.test')}`, KEY_B);
        return r.status === 200 ? r.body : null;
      }, 20_000, "tenant B's profile");
      expect(b.customer360_id).not.toBe(a.customer360_id);
      expect(b.tenant_id).toBe('tenant_b');
      expect(b.aggregates.orders_count).toBe(0);
    });

    it('answers every record: bad ones rejected with the field path, good ones accepted', async () => {
      const good = person('p3')[0];
      const r = await t.request('POST', '/v1/events', KEY_A, [
        good,
        { ...good, event_id: undefined },
        { ...good, event_id: 'p3-bad-source', source: 'fax' },
        { ...good, event_id: 'p3-bad-time', occurred_at: 'yesterday' },
        'not an object',
      ]);
      expect(r.status).toBe(200);
      expect(r.body.accepted).toBe(1);
      expect(r.body.rejected).toBe(4);
      expect(r.body.results[0]).toEqual({ index: 0, event_id: 'p3-crm-1', status: 'accepted' });
      expect(r.body.results[1].errors).toContainEqual({ path: '/event_id', message: 'is required' });
      expect(r.body.results[2].errors[0].path).toBe('/source');
      expect(r.body.results[3].errors[0].path).toBe('/occurred_at');
      expect(r.body.results[4].status).toBe('rejected');
    });

    it('lets a key send only the sources it is scoped to', async () => {
      const [crm, pos] = person('p5');
      const r = await t.request('POST', '/v1/events', KEY_A_POS, [crm, pos]);
      expect(r.status).toBe(200);
      expect(r.body.results[0]).toEqual({
        index: 0,
        event_id: 'p5-crm-1',
        status: 'rejected',
        errors: [{ path: '/source', message: 'this API key may not send source "crm"; it may send pos' }],
      });
      expect(r.body.results[1].status).toBe('accepted');
    });

    it('refuses requests without a valid key, and bodies it cannot take', async () => {
      expect((await t.request('POST', '/v1/events', null, [])).status).toBe(401);
      expect((await t.request('GET', '/v1/profiles?email=a@b.test', 'wrong-key-123')).status).toBe(401);
      expect((await t.request('POST', '/v1/events', KEY_A, { nope: 1 })).status).toBe(400);
      expect((await t.request('POST', '/v1/events', KEY_A, '{"broken json')).status).toBe(400);
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...person('p4')[0], event_id: `many-${i}` }));
      const r = await t.request('POST', '/v1/events', KEY_A, tooMany);
      expect(r.status).toBe(413);
      expect(r.body.message).toMatch(/at most 1000/);
      expect((await t.request('GET', '/v1/profiles', KEY_A)).status).toBe(400);
      expect((await t.request('GET', '/v1/profiles/not-a-uuid', KEY_A)).status).toBe(404);
    });

    it('publishes metrics', async () => {
      const r = await t.request('GET', '/metrics', null);
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/c360_ingest_events_total\{source="crm",outcome="accepted"\} \d+/);
      expect(r.body).toMatch(/c360_stage_messages_total\{stage="resolver",outcome="ok"\} \d+/);
    });
  });
}

pipelineSuite('embedded mode (log in Postgres, chDB)', () => startTestRuntime());
pipelineSuite('distributed mode (Kafka test broker)', () => startTestRuntime({ kafkaBrokers: inject('kafkaBrokers') }));
