/**
 * The messaging connector on the embedded pipeline: SendGrid Event Webhook batches and Twilio
 * webhooks, authenticated as the providers do (the API key as the HTTP Basic user), resolved
 * into profiles by email and by phone.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const BASIC = `Basic ${Buffer.from(`${KEY_A}:`).toString('base64')}`;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const ANN = 'ann.messaging@mail.test';
const BOB = 'bob.messaging@mail.test';
const T0 = 1767225600; // 2026-01-01T00:00:00Z

/** A SendGrid-shaped batch: 9 good events (5 of Ann, 4 of Bob) and a malformed one at index 7. */
const sendgridBatch = [
  { email: ANN, timestamp: T0, event: 'delivered', sg_event_id: 'sg-ev-1', sg_message_id: 'msg-a1', category: ['spring'] },
  { email: ANN, timestamp: T0 + 60, event: 'open', sg_event_id: 'sg-ev-2', sg_message_id: 'msg-a1', useragent: 'Mozilla/5.0', ip: '203.0.113.5' },
  { email: ANN, timestamp: T0 + 90, event: 'click', sg_event_id: 'sg-ev-3', sg_message_id: 'msg-a1', url: 'https://shop.test/spring' },
  { email: BOB, timestamp: T0 + 5, event: 'bounce', type: 'bounce', reason: '550 unknown user', status: '5.1.1', sg_event_id: 'sg-ev-4', sg_message_id: 'msg-b1' },
  { email: ANN, timestamp: T0 + 120, event: 'unsubscribe', sg_event_id: 'sg-ev-5', sg_message_id: 'msg-a1', ip: '203.0.113.5' },
  { email: ANN, timestamp: T0 + 180, event: 'group_resubscribe', asm_group_id: 7, sg_event_id: 'sg-ev-6', ip: '203.0.113.5' },
  { email: BOB, timestamp: T0 + 7, event: 'machine_open', sg_event_id: 'sg-ev-7', sg_message_id: 'msg-b1' },
  { timestamp: T0 + 8, event: 'delivered', sg_event_id: 'sg-ev-8', sg_message_id: 'msg-x' },
  // No sg_event_id: the event_id is a digest of the event, the same on a resend.
  { email: BOB, timestamp: T0 + 1, event: 'processed', sg_message_id: 'msg-b2', order_ref: 'custom-arg' },
  { email: BOB, timestamp: T0 + 9, event: 'delivered', sg_event_id: 'sg-ev-10', sg_message_id: 'msg-b2' },
];

async function post(t: TestRuntime, route: string, body: string, contentType: string, authorization: string | null = BASIC) {
  const response = await fetch(`${t.url}${route}`, {
    method: 'POST',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': contentType },
    body,
  });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, text, json };
}

const postSendGrid = (t: TestRuntime, events: unknown) => post(t, '/v1/messaging/email-events', JSON.stringify(events), 'application/json');
const postTwilio = (t: TestRuntime, params: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
  post(t, '/v1/messaging/sms', contentType.startsWith('application/json') ? JSON.stringify(params) : new URLSearchParams(params).toString(), contentType);

async function eventsCount(t: TestRuntime, query: string): Promise<number | null> {
  const r = await t.request('GET', `/v1/profiles?${query}`, KEY_A);
  return r.status === 200 ? (r.body.aggregates.events_count as number) : null;
}

describe('messaging webhooks', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    // At most 4 events per request: a SendGrid batch of 10 is taken in slices.
    t = await startTestRuntime({ ingestAckTimeoutMs: 3000, maxEventsPerRequest: 4 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses a webhook without a key with a Basic challenge, as providers expect', async () => {
    for (const route of ['/v1/messaging/email-events', '/v1/messaging/sms']) {
      const r = await post(t, route, '[]', 'application/json', null);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
      const wrong = await post(t, route, '[]', 'application/json', `Basic ${Buffer.from('not_a_key:').toString('base64')}`);
      expect(wrong.status).toBe(401);
    }
    // The challenge belongs to these routes only.
    expect((await post(t, '/v1/events', '[]', 'application/json', null)).headers.get('www-authenticate')).toBe('Bearer');
  });

  it('takes a SendGrid batch with one answer per event, rejects the malformed one at its index, and counts a resend once', async () => {
    const first = await postSendGrid(t, sendgridBatch);
    expect(first.status).toBe(200);
    expect(first.json.accepted).toBe(9);
    expect(first.json.rejected).toBe(1);
    expect(first.json.results).toHaveLength(10);
    expect(first.json.results.map((r: { index: number }) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.json.results[7]).toEqual({ index: 7, event_id: 'sg-ev-8', status: 'rejected', errors: [{ path: '/7/email', message: 'is required' }] });
    for (const r of first.json.results.filter((r: { index: number }) => r.index !== 7)) expect(r.status).toBe('accepted');
    expect(first.json.results[0].event_id).toBe('sg-ev-1');
    expect(first.json.results[8].event_id).toMatch(/^sg-/);

    const annQuery = `email=${encodeURIComponent(ANN)}`;
    const bobQuery = `email=${encodeURIComponent(BOB)}`;
    await waitFor(async () => (await eventsCount(t, annQuery)) === 5, 30_000, "Ann's 5 email events");
    await waitFor(async () => (await eventsCount(t, bobQuery)) === 4, 30_000, "Bob's 4 email events");
    const ann = await t.request('GET', `/v1/profiles?${annQuery}`, KEY_A);
    const bob = await t.request('GET', `/v1/profiles?${bobQuery}`, KEY_A);
    expect(ann.body.customer360_id).not.toBe(bob.body.customer360_id);

    // SendGrid retries the whole batch: accepted again, counted once.
    const resend = await postSendGrid(t, sendgridBatch);
    expect(resend.status).toBe(200);
    expect(resend.json.accepted).toBe(9);
    expect(resend.json.results.map((r: { event_id: string }) => r.event_id)).toEqual(first.json.results.map((r: { event_id: string }) => r.event_id));
    // A later event of each person: once it is counted, the resend before it was processed too.
    const marker = await postSendGrid(t, [
      { email: ANN, timestamp: T0 + 3600, event: 'delivered', sg_event_id: 'sg-marker-ann', sg_message_id: 'msg-a9' },
      { email: BOB, timestamp: T0 + 3600, event: 'delivered', sg_event_id: 'sg-marker-bob', sg_message_id: 'msg-b9' },
    ]);
    expect(marker.json.accepted).toBe(2);
    await waitFor(async () => ((await eventsCount(t, annQuery)) ?? 0) >= 6, 30_000, "Ann's marker event");
    await waitFor(async () => ((await eventsCount(t, bobQuery)) ?? 0) >= 5, 30_000, "Bob's marker event");
    expect(await eventsCount(t, annQuery)).toBe(6);
    expect(await eventsCount(t, bobQuery)).toBe(5);

    const ch = t.runtime.clickhouse!;
    const rows = await (
      await ch.client.query({
        query: `SELECT event_id, any(type) AS type FROM ${ch.database}.events WHERE event_id LIKE 'sg-ev-%' GROUP BY event_id ORDER BY event_id`,
        format: 'JSONEachRow',
      })
    ).json<{ event_id: string; type: string }>();
    expect(rows.map((r) => [r.event_id, r.type])).toEqual([
      ['sg-ev-1', 'message_delivered'],
      ['sg-ev-10', 'message_delivered'],
      ['sg-ev-2', 'message_opened'],
      ['sg-ev-3', 'message_clicked'],
      ['sg-ev-4', 'message_bounced'],
      ['sg-ev-5', 'unsubscribed'],
      ['sg-ev-6', 'email_group_resubscribe'],
      ['sg-ev-7', 'email_machine_open'],
    ]);
  });

  it('answers a SendGrid body that is not an array, or only malformed events, with 400 and the reason', async () => {
    const notArray = await postSendGrid(t, { email: ANN, event: 'open' });
    expect(notArray.status).toBe(400);
    expect(notArray.json.message).toBe('send the JSON array of SendGrid events');
    const allBad = await postSendGrid(t, ['open', { email: ANN, event: 'open', timestamp: 'soon' }]);
    expect(allBad.status).toBe(400);
    expect(allBad.json.results.map((r: { errors: { path: string }[] }) => r.errors.map((e) => e.path))).toEqual([['/0'], ['/1/timestamp']]);
  });

  it('takes Twilio inbound messages and status callbacks, form-encoded or JSON, and resolves them by phone', async () => {
    const person = '+14155550123';
    const business = '+14155550999';
    const inbound = (sid: string, body: string, extra: Record<string, string> = {}) =>
      postTwilio(t, { MessageSid: sid, SmsSid: sid, AccountSid: 'AC0001', From: person, To: business, Body: body, NumMedia: '0', SmsStatus: 'received', ...extra });

    for (const [sid, body] of [
      ['SMin0001', 'STOP'],
      ['SMin0002', 'start'],
      ['SMin0003', 'Where is my order?'],
    ] as const) {
      const r = await inbound(sid, body);
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/xml/);
      expect(r.text).toBe(EMPTY_TWIML);
    }
    // Twilio sends a charset with the form type; the opt-out type of Advanced Opt-Out counts too.
    const optOut = await postTwilio(
      t,
      { MessageSid: 'SMin0004', From: person, To: business, Body: 'please stop texting me', OptOutType: 'STOP' },
      'application/x-www-form-urlencoded; charset=UTF-8',
    );
    expect(optOut.status).toBe(200);
    expect(optOut.text).toBe(EMPTY_TWIML);

    const delivered = await postTwilio(t, { MessageSid: 'SMout001', MessageStatus: 'delivered', SmsStatus: 'delivered', From: business, To: person, AccountSid: 'AC0001' });
    expect(delivered.status).toBe(204);
    expect(delivered.text).toBe('');
    const failed = await postTwilio(t, { MessageSid: 'SMout002', MessageStatus: 'undelivered', ErrorCode: '30003', From: business, To: person }, 'application/json');
    expect(failed.status).toBe(204);

    const noSid = await postTwilio(t, { From: person, Body: 'hi' });
    expect(noSid.status).toBe(400);
    expect(noSid.headers.get('content-type')).toMatch(/^application\/json/);
    expect(noSid.json).toEqual({ error: 'bad_request', message: 'MessageSid is required' });
    const noPerson = await postTwilio(t, { MessageSid: 'SMout003', MessageStatus: 'sent', From: business });
    expect(noPerson.status).toBe(400);
    expect(noPerson.json.message).toBe('To is required');
    const tooLongPhone = await postTwilio(t, { MessageSid: 'SMout004', MessageStatus: 'sent', To: `+1${'5'.repeat(60)}` });
    expect(tooLongPhone.status).toBe(400);
    expect(tooLongPhone.json.message).toMatch(/^\/identity\/phone: /);

    // A retried webhook (the same MessageSid and status) is accepted and counted once.
    expect((await inbound('SMin0001', 'STOP')).status).toBe(200);
    const phoneQuery = `phone=${encodeURIComponent(person)}`;
    await waitFor(async () => (await eventsCount(t, phoneQuery)) === 6, 30_000, 'the six SMS events of the person');
    const marker = await inbound('SMin0005', 'thanks');
    expect(marker.status).toBe(200);
    await waitFor(async () => ((await eventsCount(t, phoneQuery)) ?? 0) >= 7, 30_000, 'the marker SMS');
    expect(await eventsCount(t, phoneQuery)).toBe(7);

    // What the warehouse holds: the types and properties of the mapping, never the message text.
    const ch = t.runtime.clickhouse!;
    const rows = await (
      await ch.client.query({
        query: `SELECT event_id, any(type) AS type, any(properties) AS properties FROM ${ch.database}.events
                WHERE source = 'messaging' AND event_id LIKE 'SM%' GROUP BY event_id ORDER BY event_id`,
        format: 'JSONEachRow',
      })
    ).json<{ event_id: string; type: string; properties: string }>();
    // Absent optional fields may be stored as null: compare the ones present.
    const present = (json: string) => Object.fromEntries(Object.entries(JSON.parse(json) as Record<string, unknown>).filter(([, v]) => v !== null));
    const byId = Object.fromEntries(rows.map((r) => [r.event_id, { type: r.type, properties: present(r.properties) }]));
    expect(byId['SMin0001:inbound']).toEqual({ type: 'sms_stop', properties: { message_id: 'SMin0001', channel: 'sms', keyword: 'STOP' } });
    expect(byId['SMin0002:inbound']).toEqual({ type: 'consent_changed', properties: { scope: 'sms', status: 'granted', reason: 'keyword START' } });
    expect(byId['SMin0003:inbound']).toEqual({ type: 'sms_received', properties: { message_id: 'SMin0003', channel: 'sms', body_length: 18 } });
    expect(byId['SMin0004:inbound']!.properties.keyword).toBe('STOP');
    expect(byId['SMout001:delivered']!.type).toBe('message_delivered');
    expect(byId['SMout002:undelivered']).toEqual({
      type: 'message_bounced',
      properties: { message_id: 'SMout002', channel: 'sms', bounce_type: 'soft', reason: 'error 30003' },
    });
    expect(JSON.stringify(rows)).not.toMatch(/order\?|texting/);
  });

  it('passes a log that does not acknowledge through as 503 with Retry-After, so the provider retries', async () => {
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT * FROM transport_partitions WHERE topic LIKE '%.raw.messaging' FOR UPDATE");
    let sms;
    let email;
    try {
      [sms, email] = await Promise.all([
        postTwilio(t, { MessageSid: 'SMslow01', MessageStatus: 'sent', To: '+14155550124' }),
        postSendGrid(t, [{ email: 'slow@mail.test', timestamp: T0, event: 'delivered', sg_event_id: 'sg-slow-1' }]),
      ]);
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    for (const r of [sms, email]) {
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('2');
      expect(r.json.message).toMatch(/retry/);
    }
    // The provider's retry is accepted.
    expect((await postTwilio(t, { MessageSid: 'SMslow01', MessageStatus: 'sent', To: '+14155550124' })).status).toBe(204);
  });

  it('never answers 5xx to malformed webhook bodies', async () => {
    const cases: [string, string, string][] = [
      ['/v1/messaging/sms', 'MessageSid=SM1&From=%ZZ', 'application/x-www-form-urlencoded'],
      ['/v1/messaging/sms', 'MessageSid=SM1&MessageSid=SM2&From=%2B14155550125&Body=a&Body=b', 'application/x-www-form-urlencoded'],
      ['/v1/messaging/sms', '[1,2]', 'application/json'],
      ['/v1/messaging/sms', '{"MessageSid":{"x":1},"From":"+14155550125"}', 'application/json'],
      ['/v1/messaging/sms', 'hello', 'text/plain'],
      ['/v1/messaging/email-events', '{not json', 'application/json'],
      ['/v1/messaging/email-events', '[null, 1, "x", [], {"email": 5, "timestamp": 1e300, "event": {}}]', 'application/json'],
      ['/v1/messaging/email-events', 'a=b', 'application/x-www-form-urlencoded'],
    ];
    for (const [route, body, type] of cases) {
      const r = await post(t, route, body, type);
      expect(r.status, `${route} ${body} -> ${r.text}`).toBeLessThan(500);
      if (r.status >= 400) expect(r.json, r.text).not.toBeNull();
    }
  });
});
