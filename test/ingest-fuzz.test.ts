/**
 * Thousands of malformed requests at every ingest endpoint: wrong types, huge strings, bad
 * UTF-8, wrong content types, broken JSON. Zero 5xx, every rejection explained.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const ROUTES = [
  '/v1/events',
  '/v1/identify',
  '/v1/track',
  '/v1/page',
  '/v1/screen',
  '/v1/alias',
  '/v1/group',
  '/v1/batch',
  '/v1/messaging/email-events',
  '/v1/messaging/sms',
];

/** Property bags shaped like the catalogued types, with wrong values mixed in. */
const anything = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue());
const typedProperties = fc.record(
  {
    order_id: anything,
    currency: fc.oneof(fc.constantFrom('USD', 'JPY', 'usd', 'XXX'), anything),
    total_minor: fc.oneof(fc.integer(), fc.double(), fc.bigInt().map(String), anything),
    payment_method: fc.oneof(fc.constantFrom('cash', 'card', 'iou'), anything),
    line_items: fc.oneof(fc.array(fc.record({ quantity: anything, unit_price_minor: anything, total_minor: anything, sku: anything }, { requiredKeys: [] }), { maxLength: 3 }), anything),
    scope: fc.oneof(fc.constantFrom('email', 'sms', 'fax'), anything),
    status: fc.oneof(fc.constantFrom('granted', 'revoked'), anything),
    channel: fc.oneof(fc.constantFrom('email', 'sms'), anything),
    lifecycle_stage: fc.oneof(fc.constantFrom('LEAD', 'lead'), anything),
    tags: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), anything),
  },
  { requiredKeys: [] },
);

/** Webhook-like elements of the SendGrid event webhook. */
const sendGridLike = fc.array(
  fc.record({ email: anything, event: fc.oneof(fc.constantFrom('delivered', 'open', 'click', 'bounce', 'unsubscribe'), anything), timestamp: anything, sg_event_id: anything }, { requiredKeys: [] }),
  { maxLength: 5 },
);

const envelopeLike = fc.record(
  {
    event_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.string({ minLength: 200, maxLength: 300 })),
    source: fc.oneof(fc.constantFrom('crm', 'pos', 'web', 'messaging'), fc.string(), fc.integer()),
    type: fc.oneof(fc.string(), fc.constantFrom('order_completed', 'order_refunded', 'consent_changed', 'contact_created', 'message_opened', 'sms_stop'), fc.array(fc.string())),
    occurred_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.integer()),
    identity: fc.oneof(
      fc.record({ email: fc.oneof(fc.string(), fc.emailAddress(), fc.integer()), phone: fc.oneof(fc.string(), fc.constant('+1 415 555 0100')) }, { requiredKeys: [] }),
      fc.string(),
      fc.constant(null),
    ),
    traits: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.array(fc.integer())),
    properties: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), typedProperties, fc.constant(null)),
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
  sendGridLike.map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('MessageSid', 'From', 'To', 'Body', 'MessageStatus', 'OptOutType', 'x'), fc.string()).map((v) => new URLSearchParams(v).toString()),
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
        if (!response.headers.get('content-type')?.includes('json')) {
          // Only the SMS webhook answers without JSON: TwiML (200) or nothing (204), never a refusal.
          expect(route === '/v1/messaging/sms' && (response.status === 200 || response.status === 204), `${route} ${response.status} ${text.slice(0, 200)}`).toBe(true);
          return;
        }
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
