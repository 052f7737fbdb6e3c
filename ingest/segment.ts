/**
 * The web connector, compatible with the Segment tracking API: POST /v1/identify, /v1/track,
 * /v1/page, /v1/alias and /v1/batch, with the write key as the HTTP Basic user, so an app
 * already instrumented with a Segment-compatible SDK can point at this server. Each message is
 * turned into the event envelope and goes the way of every other event.
 */
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

export const SEGMENT_TYPES = ['identify', 'track', 'page', 'screen', 'alias', 'group'] as const;
type SegmentType = (typeof SEGMENT_TYPES)[number];

/** A JSON object (not an array, not null). */
export const isSegmentObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isObject = isSegmentObject;
/** A non-empty text (a number taken as its text), or null. */
export const segmentText = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null);
const text = segmentText;

/** "Order Completed" -> "order_completed". */
export function eventTypeOf(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 100);
}

const RENAMED_TRAITS: ReadonlyMap<string, string> = new Map([
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['birthday', 'date_of_birth'],
  ['name', 'full_name'],
]);

/**
 * Segment's camelCase spec traits to the envelope's names; the others are kept as they are (a
 * reserved name such as "constructor" too, for the envelope's validation to refuse by name).
 */
function traitsOf(traits: Json): Json {
  const out: Json = Object.create(null);
  for (const [key, value] of Object.entries(traits)) {
    if (key === 'email' || key === 'phone') continue;
    if (key === 'address' && isObject(value)) {
      for (const [k, v] of Object.entries(value)) out[k === 'postalCode' ? 'postal_code' : k] = v;
      continue;
    }
    out[RENAMED_TRAITS.get(key) ?? key] = value;
  }
  return out;
}

/** The envelope of one Segment message, or the reason it cannot be one. */
export function envelopeOfSegment(message: unknown, defaultType: SegmentType | null): { envelope: Json } | { error: string } {
  if (!isObject(message)) return { error: 'a message must be a JSON object' };
  const type = (text(message.type) ?? defaultType) as SegmentType | null;
  if (!type || !SEGMENT_TYPES.includes(type)) return { error: `type must be one of ${SEGMENT_TYPES.join(', ')}` };
  const context = isObject(message.context) ? message.context : {};
  const traits = isObject(message.traits) ? message.traits : isObject(context.traits) ? context.traits : {};
  const properties = isObject(message.properties) ? { ...message.properties } : {};
  const userId = text(message.userId);
  const anonymousId = text(message.anonymousId);
  if (type !== 'alias' && !userId && !anonymousId) return { error: 'userId or anonymousId is required' };
  if (type === 'alias' && (!userId || !text(message.previousId))) return { error: 'alias needs userId and previousId' };
  if (type === 'track' && !text(message.event)) return { error: 'track needs event' };
  const messageId =
    text(message.messageId) ?? `seg-${createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 32)}`;
  const occurredAt = text(message.timestamp) ?? text(message.originalTimestamp) ?? text(message.sentAt) ?? new Date().toISOString();

  let eventType: string;
  if (type === 'track') eventType = eventTypeOf(String(message.event));
  else if (type === 'page' || type === 'screen') eventType = `${type}_viewed`;
  else eventType = type;
  if (type === 'page' || type === 'screen') {
    const page = isObject(context.page) ? context.page : {};
    for (const key of ['url', 'path', 'title', 'referrer']) if (properties[key] === undefined && page[key] !== undefined) properties[key] = page[key];
    if (text(message.name)) properties.name = message.name;
  }
  // Segment's e-commerce spec sends the order value as total or revenue.
  if (properties.amount === undefined && (properties.total !== undefined || properties.revenue !== undefined)) {
    properties.amount = properties.total ?? properties.revenue;
  }
  if (type === 'track' && text(message.event)) properties.event = message.event;

  const envelope: Json = {
    event_id: messageId,
    source: 'web',
    type: eventType,
    occurred_at: occurredAt,
    identity: {
      auth_user_id: userId,
      // alias: the earlier ID (an anonymous ID or a former user ID) now belongs to userId.
      anonymous_id: type === 'alias' ? text(message.previousId) : anonymousId,
      email: text(traits.email),
      phone: text(traits.phone),
    },
    traits: traitsOf(traits),
    properties,
  };
  return { envelope };
}
