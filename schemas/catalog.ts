/**
 * The event catalog: which event types each source sends and the Avro record of each type's
 * properties (`schemas/events/<source>/*.avsc`). A topic's schema is assembled from its
 * envelope (raw-event.avsc, resolved-event.avsc) and one optional field per event type, named
 * after the type and holding that type's record; the envelope's `type` says which one is set.
 * Adding an event type, or an optional field with a default to a type, is a BACKWARD-compatible
 * change of the topic's schema.
 *
 * Event types not in the catalog (a web `track` of any name, a custom CRM event) are accepted
 * with free-form properties in the envelope's `properties` map; for catalogued types that map
 * keeps the fields the schema does not describe.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const schemaDir = path.dirname(fileURLToPath(import.meta.url));

export interface EventTypeEntry {
  type: string;
  /** Path under schemas/events/ of the record of its properties. */
  file: string;
  sources: readonly Source[];
}

/** Every catalogued event type. The order is the order of fields in the topic schemas: append only. */
export const EVENT_CATALOG: readonly EventTypeEntry[] = [
  { type: 'contact_created', file: 'crm/contact.avsc', sources: ['crm'] },
  { type: 'contact_updated', file: 'crm/contact.avsc', sources: ['crm'] },
  { type: 'contact_deleted', file: 'crm/contact-deleted.avsc', sources: ['crm'] },
  { type: 'note_added', file: 'crm/note-added.avsc', sources: ['crm'] },
  { type: 'tags_changed', file: 'crm/tags-changed.avsc', sources: ['crm'] },
  { type: 'lifecycle_changed', file: 'crm/lifecycle-changed.avsc', sources: ['crm'] },
  { type: 'consent_changed', file: 'common/consent-changed.avsc', sources: ['crm', 'messaging', 'web'] },
  { type: 'order_completed', file: 'pos/order-completed.avsc', sources: ['pos'] },
  { type: 'order_refunded', file: 'pos/order-refunded.avsc', sources: ['pos'] },
  { type: 'message_sent', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'message_delivered', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'message_deferred', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'message_opened', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'message_clicked', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'message_bounced', file: 'messaging/message-engagement.avsc', sources: ['messaging'] },
  { type: 'unsubscribed', file: 'messaging/unsubscribed.avsc', sources: ['messaging'] },
  { type: 'sms_stop', file: 'messaging/sms-stop.avsc', sources: ['messaging'] },
  { type: 'sms_received', file: 'messaging/sms-received.avsc', sources: ['messaging'] },
  { type: 'page_viewed', file: 'web/page-viewed.avsc', sources: ['web'] },
  { type: 'screen_viewed', file: 'web/page-viewed.avsc', sources: ['web'] },
];

/** Event types that change consent, and so become versioned consent records. */
export const CONSENT_EVENT_TYPES = ['consent_changed', 'unsubscribed', 'sms_stop'] as const;

type Json = Record<string, any>;

export function readSchemaFile(file: string): Json {
  return JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as Json;
}

/** The kinds of source system: the symbols of the Source enum of raw-event.avsc. */
export const SOURCE_SYMBOLS: readonly [string, ...string[]] = (readSchemaFile('raw-event.avsc').fields as Json[]).find((f) => f.name === 'source')!.type.symbols;
type Source = string;

/** The catalog entry of a source's event type, or undefined when the type is free-form there. */
export function catalogEntry(source: string, type: string): EventTypeEntry | undefined {
  return EVENT_CATALOG.find((e) => e.type === type && (e.sources as readonly string[]).includes(source));
}

const NAMED = new Set(['record', 'enum', 'fixed']);

/**
 * Replaces the second and later definitions of a named type by a reference to its name, as
 * Avro requires; each .avsc file defines every type it uses so that it stands on its own.
 */
function defineOnce(schema: unknown, namespace: string, defined: Map<string, string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => defineOnce(s, namespace, defined));
  if (!schema || typeof schema !== 'object') return schema;
  const node = schema as Json;
  if (NAMED.has(node.type) && typeof node.name === 'string') {
    const ns = node.namespace ?? namespace;
    const fullName = node.name.includes('.') ? node.name : `${ns}.${node.name}`;
    const text = JSON.stringify(node);
    const earlier = defined.get(fullName);
    if (earlier !== undefined) {
      if (earlier !== text) throw new Error(`the Avro type ${fullName} is defined twice, differently`);
      return fullName;
    }
    defined.set(fullName, text);
    if (node.type !== 'record') return node;
    return { ...node, fields: node.fields.map((f: Json) => ({ ...f, type: defineOnce(f.type, ns, defined) })) };
  }
  if (node.type === 'array') return { ...node, items: defineOnce(node.items, namespace, defined) };
  if (node.type === 'map') return { ...node, values: defineOnce(node.values, namespace, defined) };
  return node;
}

/** An envelope with one optional field per given event type. */
function assemble(envelopeFile: string, entries: readonly EventTypeEntry[]): Json {
  const envelope = readSchemaFile(envelopeFile);
  const namespace = envelope.namespace as string;
  const defined = new Map<string, string>();
  const fields: Json[] = (envelope.fields as Json[]).map((f) => ({ ...f, type: defineOnce(f.type, namespace, defined) }));
  for (const entry of entries) {
    const record = readSchemaFile(path.join('events', entry.file));
    fields.push({
      name: entry.type,
      type: ['null', defineOnce(record, namespace, defined)],
      default: null,
      doc: `Properties of a ${entry.type} event, set when type is "${entry.type}". ${record.doc as string}`,
    });
  }
  return { ...envelope, fields };
}

/** Event types of the catalog that a source sends, each once. */
function entriesOf(sources: readonly Source[]): EventTypeEntry[] {
  return EVENT_CATALOG.filter((e) => e.sources.some((s) => sources.includes(s)));
}

/** The value schema of a source's raw topic. */
export function rawEventSchema(source: Source): Json {
  return assemble('raw-event.avsc', entriesOf([source]));
}

/** The value schema of the resolved-events topic: every catalogued type of every source. */
export function resolvedEventSchema(): Json {
  return assemble('resolved-event.avsc', EVENT_CATALOG);
}

export function profileChangeSchema(): Json {
  return readSchemaFile('profile-change.avsc');
}

export function segmentMembershipChangeSchema(): Json {
  return readSchemaFile('segment-membership-change.avsc');
}
