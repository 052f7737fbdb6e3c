/**
 * The messaging connector's mapping of SendGrid events and Twilio webhooks to event envelopes:
 * every event kind, its type and its properties.
 */
import { describe, expect, it } from 'vitest';
import { acceptInSlices, envelopeOfSendGridEvent, envelopeOfTwilio, type MessagingEnvelope } from '../../ingest/messaging.ts';
import type { IngestAnswer } from '../../ingest/routes.ts';

const TS = 1767225600; // 2026-01-01T00:00:00Z
const base = { email: 'ann@mail.test', timestamp: TS, sg_message_id: 'sgm-1.filter0001', category: ['spring-sale', 'newsletter'] };

function sendgrid(event: Record<string, unknown>): MessagingEnvelope {
  const mapped = envelopeOfSendGridEvent({ ...base, ...event });
  if (!('envelope' in mapped)) throw new Error(`rejected: ${JSON.stringify(mapped.errors)}`);
  return mapped.envelope;
}

describe('SendGrid event mapping', () => {
  it('keeps the envelope fields: event_id, source, time, email', () => {
    const e = sendgrid({ event: 'delivered', sg_event_id: 'ev-1', ip: '203.0.113.5' });
    expect(e).toEqual({
      event_id: 'ev-1',
      source: 'messaging',
      type: 'message_delivered',
      occurred_at: '2026-01-01T00:00:00.000Z',
      identity: { email: 'ann@mail.test' },
      properties: { message_id: 'sgm-1.filter0001', channel: 'email', campaign_id: 'spring-sale', ip: '203.0.113.5' },
    });
  });

  it.each([
    ['processed', 'message_sent'],
    ['delivered', 'message_delivered'],
    ['deferred', 'message_deferred'],
    ['open', 'message_opened'],
    ['click', 'message_clicked'],
    ['bounce', 'message_bounced'],
    ['dropped', 'message_bounced'],
    ['unsubscribe', 'unsubscribed'],
    ['group_unsubscribe', 'unsubscribed'],
    ['spamreport', 'unsubscribed'],
    ['group_resubscribe', 'email_group_resubscribe'],
  ])('maps %s to %s', (event, type) => {
    expect(sendgrid({ event, sg_event_id: `ev-${event}` }).type).toBe(type);
  });

  it('keeps the user agent and IP of an open, the URL of a click', () => {
    expect(sendgrid({ event: 'open', useragent: 'Mozilla/5.0', ip: '198.51.100.7' }).properties).toEqual({
      message_id: 'sgm-1.filter0001',
      channel: 'email',
      campaign_id: 'spring-sale',
      user_agent: 'Mozilla/5.0',
      ip: '198.51.100.7',
    });
    expect(sendgrid({ event: 'click', url: 'https://shop.test/sale?utm=1', useragent: 'UA' }).properties).toEqual({
      message_id: 'sgm-1.filter0001',
      channel: 'email',
      campaign_id: 'spring-sale',
      url: 'https://shop.test/sale?utm=1',
      user_agent: 'UA',
    });
  });

  it('maps bounce types and keeps the reason of bounces, drops and deferrals', () => {
    const hard = sendgrid({ event: 'bounce', type: 'bounce', reason: '550 5.1.1 unknown user', status: '5.1.1' });
    expect(hard.properties).toMatchObject({ bounce_type: 'hard', reason: '550 5.1.1 unknown user', channel: 'email' });
    expect(sendgrid({ event: 'bounce', type: 'blocked', reason: 'blocked by policy' }).properties).toMatchObject({ bounce_type: 'block' });
    const dropped = sendgrid({ event: 'dropped', reason: 'Bounced Address' });
    expect(dropped.properties).toMatchObject({ reason: 'Bounced Address' });
    expect(dropped.properties.bounce_type).toBeUndefined();
    expect(sendgrid({ event: 'deferred', response: '400 try again later', attempt: '2' }).properties).toMatchObject({ reason: '400 try again later' });
  });

  it('maps unsubscribes, group unsubscribes and spam reports to unsubscribed', () => {
    expect(sendgrid({ event: 'unsubscribe', category: undefined, ip: '192.0.2.1' }).properties).toEqual({
      message_id: 'sgm-1.filter0001',
      channel: 'email',
      ip: '192.0.2.1',
      reason: 'unsubscribe_link',
    });
    expect(sendgrid({ event: 'group_unsubscribe', category: undefined, asm_group_id: 42 }).properties).toEqual({
      message_id: 'sgm-1.filter0001',
      channel: 'email',
      campaign_id: '42',
      reason: 'group_unsubscribe',
    });
    expect(sendgrid({ event: 'spamreport' }).properties).toEqual({
      message_id: 'sgm-1.filter0001',
      channel: 'email',
      campaign_id: 'spring-sale',
      reason: 'spam_report',
    });
  });

  it('keeps a group resubscribe an engagement event that grants no channel consent', () => {
    const e = sendgrid({ event: 'group_resubscribe', asm_group_id: 42, ip: '192.0.2.1' });
    expect(e.type).toBe('email_group_resubscribe');
    expect(e.properties).toMatchObject({ channel: 'email', ip: '192.0.2.1' });
    expect(e.properties).not.toHaveProperty('status');
  });

  it('takes a single category as the campaign', () => {
    expect(sendgrid({ event: 'delivered', category: 'welcome' }).properties.campaign_id).toBe('welcome');
  });

  it('accepts unknown events as email_<event> in snake case', () => {
    const e = sendgrid({ event: 'machineOpen', ip: '192.0.2.9' });
    expect(e.type).toBe('email_machine_open');
    expect(e.properties).toEqual({ message_id: 'sgm-1.filter0001', channel: 'email', campaign_id: 'spring-sale', ip: '192.0.2.9' });
  });

  it('derives a stable event_id from the event when sg_event_id is missing', () => {
    const a = sendgrid({ event: 'open', marketing_id: 'x' });
    const b = envelopeOfSendGridEvent({ marketing_id: 'x', event: 'open', ...base });
    expect(a.event_id).toMatch(/^sg-[A-Za-z0-9_-]{32}$/);
    expect('envelope' in b && b.envelope.event_id).toBe(a.event_id);
    expect(sendgrid({ event: 'click' }).event_id).not.toBe(a.event_id);
  });

  it('never copies custom arguments into the event', () => {
    const e = sendgrid({ event: 'delivered', user_note: 'private text', order_ref: 'o-1' });
    expect(Object.keys(e.properties).sort()).toEqual(['campaign_id', 'channel', 'message_id']);
  });

  it('rejects a malformed event with the path of each bad field', () => {
    expect(envelopeOfSendGridEvent('delivered')).toEqual({ errors: [{ path: '/', message: 'an event must be a JSON object' }] });
    const bad = envelopeOfSendGridEvent({ event: 'open', timestamp: 'yesterday', sg_event_id: 'ev-bad' });
    expect(bad).toEqual({
      errors: [
        { path: '/email', message: 'is required' },
        { path: '/timestamp', message: 'must be a Unix time in seconds' },
      ],
      eventId: 'ev-bad',
    });
    expect(envelopeOfSendGridEvent({ email: 'not-an-address', timestamp: TS, event: 'open' })).toMatchObject({
      errors: [{ path: '/email', message: 'must be an email address' }],
    });
    expect(envelopeOfSendGridEvent({ email: 'a@mail.test', timestamp: TS })).toMatchObject({ errors: [{ path: '/event', message: 'is required' }] });
    expect(envelopeOfSendGridEvent({ email: 'a@mail.test', timestamp: TS, event: '!!!' })).toMatchObject({
      errors: [{ path: '/event', message: 'must be an event name' }],
    });
    expect(envelopeOfSendGridEvent({ email: 'a@mail.test', event: 'open' })).toMatchObject({ errors: [{ path: '/timestamp', message: 'is required' }] });
  });
});

const NOW = new Date('2026-03-01T10:00:00.000Z');

function twilio(params: Record<string, unknown>) {
  const mapped = envelopeOfTwilio(params, NOW);
  if ('error' in mapped) throw new Error(mapped.error);
  return mapped;
}

const inbound = (body: string, extra: Record<string, string> = {}) =>
  twilio({ MessageSid: 'SM0001', AccountSid: 'AC1', From: '+14155550111', To: '+14155550999', Body: body, SmsStatus: 'received', ...extra });

describe('Twilio webhook mapping', () => {
  it.each(['STOP', 'stop', ' Stop ', 'STOPALL', 'UNSUBSCRIBE', 'cancel', 'END', 'quit'])('maps the inbound keyword %j to sms_stop', (body) => {
    const { kind, envelope } = inbound(body);
    expect(kind).toBe('inbound');
    expect(envelope).toEqual({
      event_id: 'SM0001:inbound',
      source: 'messaging',
      type: 'sms_stop',
      occurred_at: '2026-03-01T10:00:00.000Z',
      identity: { phone: '+14155550111' },
      properties: { message_id: 'SM0001', channel: 'sms', keyword: body.trim().toUpperCase() },
    });
  });

  it('maps OptOutType=STOP to sms_stop without keeping the message text', () => {
    const { envelope } = inbound('please remove me', { OptOutType: 'STOP' });
    expect(envelope.type).toBe('sms_stop');
    expect(envelope.properties).toEqual({ message_id: 'SM0001', channel: 'sms', keyword: 'STOP' });
  });

  it.each(['START', 'yes', 'Unstop'])('maps the inbound keyword %j to SMS consent granted', (body) => {
    const { envelope } = inbound(body);
    expect(envelope.type).toBe('consent_changed');
    expect(envelope.properties).toEqual({ scope: 'sms', status: 'granted', reason: `keyword ${body.toUpperCase()}` });
  });

  it('maps OptOutType=START to SMS consent granted', () => {
    expect(inbound('subscribe again', { OptOutType: 'START' }).envelope.properties).toEqual({ scope: 'sms', status: 'granted', reason: 'keyword START' });
  });

  it('keeps only the length of any other inbound text', () => {
    const { envelope } = inbound('Is my order ready? 🙂', { OptOutType: 'HELP' });
    expect(envelope.type).toBe('sms_received');
    expect(envelope.properties).toEqual({ message_id: 'SM0001', channel: 'sms', body_length: 20 });
    expect(JSON.stringify(envelope)).not.toContain('order ready');
    expect(inbound('').envelope.properties.body_length).toBe(0);
  });

  it.each([
    ['sent', 'message_sent'],
    ['delivered', 'message_delivered'],
    ['undelivered', 'message_bounced'],
    ['failed', 'message_bounced'],
    ['read', 'message_opened'],
    ['queued', 'sms_queued'],
  ])('maps the status %s to %s, To being the person', (status, type) => {
    const { kind, envelope } = twilio({ MessageSid: 'SM0002', MessageStatus: status, SmsStatus: status, From: '+14155550999', To: '+14155550111' });
    expect(kind).toBe('status');
    expect(envelope.type).toBe(type);
    expect(envelope.event_id).toBe(`SM0002:${status}`);
    expect(envelope.identity).toEqual({ phone: '+14155550111' });
    expect(envelope.properties).toMatchObject({ message_id: 'SM0002', channel: 'sms' });
  });

  it('gives a bounce its reason and kind from ErrorCode', () => {
    const undelivered = twilio({ MessageSid: 'SM3', MessageStatus: 'undelivered', ErrorCode: '30005', To: '+14155550111' });
    expect(undelivered.envelope.properties).toEqual({ message_id: 'SM3', channel: 'sms', bounce_type: 'hard', reason: 'error 30005' });
    const failed = twilio({ MessageSid: 'SM4', MessageStatus: 'failed', ErrorCode: '99999', To: '+14155550111' });
    expect(failed.envelope.properties).toEqual({ message_id: 'SM4', channel: 'sms', reason: 'error 99999' });
    expect(twilio({ MessageSid: 'SM5', MessageStatus: 'failed', To: '+14155550111' }).envelope.properties.reason).toBe('failed');
    expect(twilio({ MessageSid: 'SM6', MessageStatus: 'delivered', To: '+14155550111' }).envelope.properties).toEqual({ message_id: 'SM6', channel: 'sms' });
  });

  it('recognises WhatsApp addresses: the number without the prefix, the whatsapp channel and scope', () => {
    const status = twilio({ MessageSid: 'SM7', MessageStatus: 'read', To: 'whatsapp:+14155550111' });
    expect(status.envelope.identity).toEqual({ phone: '+14155550111' });
    expect(status.envelope.properties).toEqual({ message_id: 'SM7', channel: 'whatsapp' });
    const stop = twilio({ MessageSid: 'SM8', From: 'whatsapp:+14155550111', Body: 'STOP' });
    expect(stop.envelope.type).toBe('consent_changed');
    expect(stop.envelope.properties).toEqual({ scope: 'whatsapp', status: 'revoked', reason: 'keyword STOP' });
    const text = twilio({ MessageSid: 'SM9', From: 'whatsapp:+14155550111', Body: 'hello' });
    expect(text.envelope.type).toBe('whatsapp_received');
    expect(text.envelope.properties).toEqual({ message_id: 'SM9', channel: 'whatsapp', body_length: 5 });
  });

  it('says why a request cannot be an event', () => {
    expect(envelopeOfTwilio('x', NOW)).toEqual({ error: 'send the Twilio webhook parameters, form-encoded or as a JSON object' });
    expect(envelopeOfTwilio({ From: '+14155550111', Body: 'hi' }, NOW)).toEqual({ error: 'MessageSid is required' });
    expect(envelopeOfTwilio({ MessageSid: 'SM1', Body: 'hi' }, NOW)).toEqual({ error: 'From is required' });
    expect(envelopeOfTwilio({ MessageSid: 'SM1', MessageStatus: 'delivered', From: '+14155550999' }, NOW)).toEqual({ error: 'To is required' });
    expect(envelopeOfTwilio({ MessageSid: 'SM1', From: 'whatsapp:' }, NOW)).toEqual({ error: 'From has no phone number' });
  });
});

describe('a provider batch larger than one request', () => {
  /** Accepts every record but "bad", like acceptEnvelopes; refuses the call number `refuseAt` with 503. */
  const fakeAccept = (refuseAt = -1) => {
    const calls: unknown[][] = [];
    const accept = async (slice: unknown[]): Promise<IngestAnswer> => {
      calls.push(slice);
      if (calls.length - 1 === refuseAt) return { status: 503, headers: { 'retry-after': '2' }, body: { error: 'unavailable', message: 'retry it' } };
      const results = slice.map((r, index) => (r === 'bad' ? { index, status: 'rejected', errors: [{ path: '/', message: 'bad' }] } : { index, status: 'accepted' }));
      const accepted = results.filter((r) => r.status === 'accepted').length;
      return { status: accepted === 0 ? 400 : 200, headers: {}, body: { accepted, rejected: slice.length - accepted, results } };
    };
    return { calls, accept };
  };

  it('is taken in slices, with the indexes of the whole batch', async () => {
    const { calls, accept } = fakeAccept();
    const answer = await acceptInSlices(['a', 'b', 'c', 'bad', 'bad', 'd', 'e'], accept, 3);
    expect(calls).toEqual([['a', 'b', 'c'], ['bad', 'bad', 'd'], ['e']]);
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(5);
    expect(answer.body.rejected).toBe(2);
    expect((answer.body.results as { index: number; status: string }[]).map((r) => `${r.index}:${r.status}`)).toEqual([
      '0:accepted', '1:accepted', '2:accepted', '3:rejected', '4:rejected', '5:accepted', '6:accepted',
    ]);
    expect((await acceptInSlices(['bad', 'bad', 'bad'], fakeAccept().accept, 2)).status).toBe(400);
  });

  it('answers the first refusal of the log as it is, so the provider retries the batch', async () => {
    const { calls, accept } = fakeAccept(1);
    const answer = await acceptInSlices(['a', 'b', 'c', 'd', 'e'], accept, 2);
    expect(calls).toHaveLength(2);
    expect(answer).toEqual({ status: 503, headers: { 'retry-after': '2' }, body: { error: 'unavailable', message: 'retry it' } });
  });
});
