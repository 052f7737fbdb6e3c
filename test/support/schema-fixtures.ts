/**
 * Fixtures of the schema evolution tests: the catalog's schemas with the POS order record's
 * fields changed, and a POS order event.
 */
import { topicSchemas, type TopicSchema } from '../../schemas/codec.ts';
import type { Topics } from '../../schemas/topics.ts';
import type { RawEvent } from '../../schemas/types.ts';

/** The catalog's schemas of the topics with the POS order record's fields changed by `edit`. */
export function withOrderChange(topics: Topics, edit: (fields: Record<string, unknown>[]) => Record<string, unknown>[]): TopicSchema[] {
  return topicSchemas(topics).map((t) => {
    if (t.topic !== topics.raw.pos) return t;
    const schema = structuredClone(t.schema) as { fields: { name: string; type: unknown }[] };
    const field = schema.fields.find((f) => f.name === 'order_completed')!;
    const record = (field.type as [string, { fields: Record<string, unknown>[] }])[1];
    record.fields = edit(record.fields);
    return { ...t, schema };
  });
}

/** A POS order of tenant acme, its record extended by `extra`. */
export function order(id: string, extra: Record<string, unknown> = {}): RawEvent {
  return {
    event_id: id,
    tenant_id: 'acme',
    source: 'pos',
    type: 'order_completed',
    occurred_at: Date.UTC(2026, 4, 1),
    received_at: Date.UTC(2026, 4, 1),
    identity: { auth_user_id: null, email: 'ann@mail.test', phone: null, anonymous_id: null, source_record_id: null },
    traits: {},
    properties: {},
    order_completed: {
      order_id: `o-${id}`,
      store_id: 'S1',
      register_id: null,
      cashier_id: null,
      channel: null,
      marketplace: null,
      customer_kind: 'walk_in',
      currency: 'USD',
      subtotal_minor: null,
      discount_minor: null,
      tax_minor: null,
      total_minor: 1299,
      payment_method: 'card',
      line_items: [],
      ...extra,
    } as RawEvent['order_completed'],
  };
}
