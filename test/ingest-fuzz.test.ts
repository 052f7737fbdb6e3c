/**
 * Thousands of malformed requests at every ingest endpoint: wrong types, huge strings, bad
 * UTF-8, wrong content types, broken JSON. Zero 5xx, every rejection explained.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const ROUTES = ['/v1/events', '/v1/identify', '/v1/track', '/v1/page', '/v1/screen', '/v1/alias', '/v1/group', '/v1/batch'];

const envelopeLike = fc.record(
  {
    event_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.string({ minLength: 200, maxLength: 300 })),
    source: fc.oneof(fc.constantFrom('crm', 'pos', 'web', 'messaging'), fc.string(), fc.integer()),
    type: fc.oneof(fc.string(), fc.constant('order_completed'), fc.array(fc.string())),
    occurred_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.integer()),
    identity: fc.oneof(
      fc.record({ email: fc.oneof(fc.string(), fc.emailAddress(), fc.integer()), phone: fc.oneof(fc.string(), fc.constant('+1 415 555 0100')) }, { requiredKeys: [] }),
      fc.string(),
      fc.constant(null),
    ),
    traits: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.array(fc.integer())),
    properties: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.constant(null)),
    userId: fc.oneof(fc.string(), fc.integer()),
    anonymousId: fc.string(),
    event: fc.oneof(fc.string(), fc.constant(null)),
    previousId: fc.string(),
    messageId: fc.string(),
    batch: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 5 }), fc.string()),
    events: fc.array(fc.jsonValue(), { maxLength: 5 }),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  envelopeLike.map((v) => JSON.stringify(v)),
  fc.array(envelopeLike, { maxLength: 5 }).map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.string({ minLength: 10_000, maxLength: 20_000 }).map((s) => JSON.stringify([{ event_id: s, source: 'crm', type: 't', occurred_at: '2026-01-01T00:00:00Z' }])),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  // Invalid UTF-8 inside a JSON string.
  fc.constant(Buffer.concat([Buffer.from('[{"event_id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","source":"crm","type":"t","occurred_at":"2026-01-01T00:00:00Z"}]')])),
);

const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '', 'multipart/form-data; boundary=x');

describe('ingest under malformed input', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('never answers 5xx and explains every rejection', async () => {
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, contentType, async (route, payload, type) => {
        requests++;
        const response = await fetch(`${t.url}${route}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY_A}`, ...(type ? { 'content-type': type } : {}) },
          body: payload,
        });
        const text = await response.text();
        expect(response.status, `${route} ${type} ${String(payload).slice(0, 200)} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        const answer = JSON.parse(text) as { message?: string; results?: { status: string; errors?: { path: string; message: string }[] }[] };
        if (response.status >= 400) {
          // A refused request says why: a message, or per-record errors.
          const explained = typeof answer.message === 'string' || (answer.results ?? []).every((r) => r.status === 'accepted' || (r.errors?.length ?? 0) > 0);
          expect(explained, text.slice(0, 300)).toBe(true);
        }
        for (const r of answer.results ?? []) {
          if (r.status === 'rejected') {
            expect(r.errors!.length).toBeGreaterThan(0);
            for (const e of r.errors!) expect(typeof e.path === 'string' && e.message.length > 0).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
    expect(requests).toBeGreaterThanOrEqual(2000);
    // Still healthy afterwards.
    expect((await t.request('GET', '/healthz', null)).status).toBe(200);
  }, 240_000);
});
