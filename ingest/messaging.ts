/**
 * The messaging connector: webhooks of email and SMS providers, so a tenant can point its
 * provider at this server with the API key as the HTTP Basic user.
 *
 * - POST /v1/messaging/email-events takes the SendGrid Event Webhook (a JSON array of events);
 *   every element gets its own answer, a malformed one is rejected at its index.
 * - POST /v1/messaging/sms takes Twilio's messaging webhooks (form-encoded, or JSON): inbound
 *   messages, including the opt-out and opt-in keywords, and status callbacks.
 *
 * Each webhook event becomes one event envelope of source "messaging" and goes the way of every
 * other event (validated, durable before the answer, counted once when resent). The text of an
 * inbound message is never kept, only its length.
 */
import { createHash } from 'node:crypto';
import type { FieldError } from './validate-event.ts';
import type { IngestAnswer } from './routes.ts';
import { eventTypeOf } from './segment.ts';

type Json = Record<string, unknown>;
export type Channel = 'email' | 'sms' | 'push' | 'whatsapp';

export interface MessagingEnvelope {
  event_id: string;
  source: 'messaging';
  type: string;
  occurred_at: string;
  identity: { email?: string; phone?: string; source_record_id?: string };
  properties: Record<string, string | number>;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A non-empty string (a number as text), or null. */
const text = (v: unknown): string | null =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/** The entry of a lookup table for a name the sender chose; never a member of Object.prototype. */
const entryOf = <T>(table: Readonly<Record<string, T>>, name: string): T | undefined => (Object.hasOwn(table, name) ? table[name] : undefined);

/** Properties without the absent ones. */
function compact(values: Record<string, string | number | null | undefined>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** JSON with the keys of every object sorted, so the same object always has the same digest. */
function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value)) ?? 'null';
}

const digest = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 32);

// ---------------------------------------------------------------------------------------------
// SendGrid Event Webhook
// ---------------------------------------------------------------------------------------------

/** SendGrid event names and the envelope type each becomes. */
export const SENDGRID_EVENT_TYPES: Readonly<Record<string, string>> = {
  processed: 'message_sent',
  delivered: 'message_delivered',
  deferred: 'message_deferred',
  open: 'message_opened',
  click: 'message_clicked',
  bounce: 'message_bounced',
  dropped: 'message_bounced',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
  spamreport: 'unsubscribed',
  // A resubscribe to one suppression group is not consent to the whole email channel: it stays an
  // engagement event (email_group_resubscribe, the group in campaign_id) and grants nothing.
};

/** SendGrid's bounce "type" to the envelope's bounce_type. */
const SENDGRID_BOUNCE_TYPES: Readonly<Record<string, 'hard' | 'soft' | 'block'>> = { bounce: 'hard', blocked: 'block' };

/** The campaign of a SendGrid event: its first category, else its unsubscribe group. */
function campaignOf(event: Json): string | null {
  const category = Array.isArray(event.category) ? event.category.map(text).find((c) => c !== null) : text(event.category);
  return category ?? text(event.asm_group_id);
}

/** SendGrid's Unix time in seconds as ISO-8601, or null. */
function isoOfUnixSeconds(v: unknown): string | null {
  const seconds = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  // Up to the year 9999; ISO-8601 with a four-digit year.
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 253_402_300_799) return null;
  return new Date(Math.round(seconds * 1000)).toISOString();
}

/**
 * The envelope of one SendGrid event, or its errors with paths relative to the event
 * ("/email"). event_id is sg_event_id, else a digest of the event, so a resend counts once.
 */
export function envelopeOfSendGridEvent(event: unknown): { envelope: MessagingEnvelope } | { errors: FieldError[]; eventId?: string } {
  if (!isObject(event)) return { errors: [{ path: '/', message: 'an event must be a JSON object' }] };
  const errors: FieldError[] = [];
  const email = text(event.email);
  if (email === null) errors.push({ path: '/email', message: 'is required' });
  else if (!email.includes('@') || email.length > 320) errors.push({ path: '/email', message: 'must be an email address' });
  const occurredAt = isoOfUnixSeconds(event.timestamp);
  if (event.timestamp === undefined || event.timestamp === null) errors.push({ path: '/timestamp', message: 'is required' });
  else if (occurredAt === null) errors.push({ path: '/timestamp', message: 'must be a Unix time in seconds' });
  const name = typeof event.event === 'string' ? eventTypeOf(event.event) : '';
  if (typeof event.event !== 'string' || event.event.trim() === '') errors.push({ path: '/event', message: 'is required' });
  else if (name === '') errors.push({ path: '/event', message: 'must be an event name' });
  const sgEventId = text(event.sg_event_id);
  const eventId = sgEventId !== null && sgEventId.length <= 128 ? sgEventId : `sg-${digest(event)}`;
  if (errors.length > 0) return { errors, eventId };

  const type = entryOf(SENDGRID_EVENT_TYPES, name) ?? `email_${name}`.slice(0, 100);
  const messageId = text(event.sg_message_id);
  const ip = text(event.ip);
  let properties: Record<string, string | number>;
  if (type === 'unsubscribed') {
    properties = compact({
      message_id: messageId,
      channel: 'email',
      campaign_id: campaignOf(event),
      ip,
      reason: name === 'spamreport' ? 'spam_report' : name === 'group_unsubscribe' ? 'group_unsubscribe' : 'unsubscribe_link',
    });
  } else {
    const bounceType = name === 'bounce' ? (entryOf(SENDGRID_BOUNCE_TYPES, text(event.type)?.toLowerCase() ?? '') ?? null) : null;
    // SendGrid explains a bounce or a drop in "reason", a deferral in "response".
    const reason = name === 'deferred' ? (text(event.reason) ?? text(event.response)) : text(event.reason);
    properties = compact({
      message_id: messageId,
      channel: 'email',
      campaign_id: campaignOf(event),
      url: text(event.url),
      bounce_type: bounceType,
      reason,
      user_agent: text(event.useragent),
      ip,
    });
  }
  return {
    envelope: { event_id: eventId, source: 'messaging', type, occurred_at: occurredAt!, identity: { email: email! }, properties },
  };
}

// ---------------------------------------------------------------------------------------------
// Twilio messaging webhooks
// ---------------------------------------------------------------------------------------------

/** Twilio's default opt-out and opt-in keywords (the whole message, any case). */
export const SMS_STOP_KEYWORDS: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
export const SMS_START_KEYWORDS: ReadonlySet<string> = new Set(['START', 'YES', 'UNSTOP']);

/** Twilio MessageStatus values and the envelope type each becomes; the others are sms_<status>. */
export const TWILIO_STATUS_TYPES: Readonly<Record<string, string>> = {
  sent: 'message_sent',
  delivered: 'message_delivered',
  undelivered: 'message_bounced',
  failed: 'message_bounced',
  read: 'message_opened',
};

/** Twilio error codes whose meaning says what kind of bounce it was. */
const TWILIO_BOUNCE_TYPES: Readonly<Record<string, 'hard' | 'soft' | 'block'>> = {
  '21211': 'hard', // invalid "To" number
  '21614': 'hard', // not a mobile number
  '30003': 'soft', // unreachable handset
  '30005': 'hard', // unknown or inactive destination
  '30006': 'hard', // landline or unreachable carrier
  '30007': 'block', // filtered by the carrier
  '21610': 'block', // the recipient opted out (STOP)
};

export type TwilioMapped = { envelope: MessagingEnvelope; kind: 'inbound' | 'status' } | { error: string };

/** "whatsapp:+14155550100" -> channel whatsapp and the number; a plain number is SMS. */
function addressOf(raw: string): { channel: Channel; phone: string } {
  const match = /^whatsapp:(.*)$/i.exec(raw);
  return match ? { channel: 'whatsapp', phone: match[1]!.trim() } : { channel: 'sms', phone: raw };
}

/**
 * The envelope of one Twilio webhook request: an inbound message (From is the person) or a
 * status callback (MessageStatus present; To is the person), or the reason it cannot be one.
 * Twilio sends no event time, so occurred_at is the time of receipt; event_id is
 * MessageSid:status (or MessageSid:inbound), so a retried webhook counts once.
 */
export function envelopeOfTwilio(params: unknown, receivedAt: Date): TwilioMapped {
  if (!isObject(params)) return { error: 'send the Twilio webhook parameters, form-encoded or as a JSON object' };
  const sid = text(params.MessageSid) ?? text(params.SmsSid) ?? text(params.SmsMessageSid);
  if (sid === null) return { error: 'MessageSid is required' };
  if (sid.length > 100) return { error: 'MessageSid is longer than 100 characters' };
  const status = text(params.MessageStatus)?.toLowerCase() ?? null;
  // An inbound message may carry the status "received"; it is not a status callback.
  const inbound = status === null || status === 'received' || status === 'receiving';
  const personField = inbound ? 'From' : 'To';
  const rawAddress = text(params[personField]);
  if (rawAddress === null) return { error: `${personField} is required` };
  const { channel, phone } = addressOf(rawAddress);
  if (phone === '') return { error: `${personField} has no phone number` };
  const occurred_at = receivedAt.toISOString();

  if (inbound) {
    const body = typeof params.Body === 'string' ? params.Body : '';
    const word = body.trim().toUpperCase();
    const optOutType = text(params.OptOutType)?.toUpperCase() ?? null;
    // Revocation wins over everything else in the same message.
    const stop = optOutType === 'STOP' || SMS_STOP_KEYWORDS.has(word);
    const start = !stop && (optOutType === 'START' || SMS_START_KEYWORDS.has(word));
    // Only a recognised keyword is kept, never other text of the message.
    const keyword = stop ? (SMS_STOP_KEYWORDS.has(word) ? word : 'STOP') : start ? (SMS_START_KEYWORDS.has(word) ? word : 'START') : null;
    let type: string;
    let properties: Record<string, string | number>;
    if (stop && channel === 'sms') {
      type = 'sms_stop';
      properties = { message_id: sid, channel: 'sms', keyword: keyword! };
    } else if (stop || start) {
      type = 'consent_changed';
      properties = { scope: channel, status: stop ? 'revoked' : 'granted', reason: `keyword ${keyword!}` };
    } else {
      type = channel === 'sms' ? 'sms_received' : `${channel}_received`;
      properties = { message_id: sid, channel, body_length: [...body].length };
    }
    return { kind: 'inbound', envelope: { event_id: `${sid}:inbound`, source: 'messaging', type, occurred_at, identity: { phone }, properties } };
  }

  const statusName = eventTypeOf(status!);
  if (statusName === '') return { error: 'MessageStatus must be a status name' };
  const type = entryOf(TWILIO_STATUS_TYPES, statusName) ?? `sms_${statusName}`.slice(0, 100);
  const errorCode = text(params.ErrorCode);
  const bounced = type === 'message_bounced';
  const properties = compact({
    message_id: sid,
    channel,
    bounce_type: bounced && errorCode ? (entryOf(TWILIO_BOUNCE_TYPES, errorCode) ?? null) : null,
    reason: bounced ? (errorCode ? `error ${errorCode}` : statusName) : null,
  });
  return {
    kind: 'status',
    envelope: { event_id: `${sid}:${statusName}`.slice(0, 128), source: 'messaging', type, occurred_at, identity: { phone }, properties },
  };
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/** What Twilio gets back for an inbound message: nothing to send. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The first reason a single-record answer was refused, for a provider's delivery log. */
export function messagingReasonOf(answer: IngestAnswer): string {
  const results = (answer.body.results as { errors?: FieldError[] }[] | undefined) ?? [];
  const first = results.flatMap((r) => r.errors ?? [])[0];
  if (first) return `${first.path}: ${first.message}`;
  return typeof answer.body.message === 'string' ? answer.body.message : 'the event was not accepted';
}

/**
 * Accepts a provider's batch in slices of at most `size` records, one after the other: SendGrid
 * batches events by size, not by count, so one POST may hold more events than one request of
 * ours may, and it cannot split them itself. The first refusal of the log (429, 503) is the answer, with its Retry-After; the
 * slices before it are durable, and the provider's retry of the whole batch counts them once.
 */
export async function acceptInSlices(
  records: unknown[],
  accept: (slice: unknown[]) => Promise<IngestAnswer>,
  size: number,
): Promise<IngestAnswer> {
  if (records.length <= size) return accept(records);
  const results: { index: number }[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let start = 0; start < records.length; start += size) {
    const answer = await accept(records.slice(start, start + size));
    if (answer.status !== 200 && answer.status !== 400) return answer;
    accepted += Number(answer.body.accepted ?? 0);
    rejected += Number(answer.body.rejected ?? 0);
    for (const r of (answer.body.results as { index: number }[] | undefined) ?? []) results.push({ ...r, index: r.index + start });
  }
  return { status: accepted === 0 && rejected > 0 ? 400 : 200, headers: {}, body: { accepted, rejected, results } };
}
