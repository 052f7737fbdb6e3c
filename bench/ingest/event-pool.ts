/** The events the benchmark sends: the mix of event types and the seeded pool of envelopes. */
import { demoPeople, type DemoEvent } from '../../ingest/demo-data.ts';
import { seededRandom } from '../../platform/random.ts';
import { distinctPhone } from '../events.ts';

/** The mix of event types: each source system's everyday event. */
export const MIX = [
  { source: 'web', type: 'page_viewed', share: 0.35 },
  { source: 'pos', type: 'order_completed', share: 0.25 },
  { source: 'crm', type: 'contact_updated', share: 0.2 },
  { source: 'messaging', type: 'message_opened', share: 0.2 },
] as const;

const PRODUCTS = ['Trail Runner 2', 'Merino Tee', 'Rain Shell', 'Canvas Tote', 'Water Bottle', 'Wool Socks', 'Day Pack', 'Sun Cap'];
const CITIES = ['San Francisco', 'Oakland', 'Berkeley', 'San Jose', 'New York', 'Chicago', 'Boston', 'Seattle'];
const STAGES = ['LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER'];
const TAGS = ['newsletter', 'vip', 'loyalty', 'wholesale', 'outdoor'];

/**
 * `count` envelopes of `count`/4 people in the shares of MIX, valid for POST /v1/events, every
 * one with identifiers (email, phone, a source-system or anonymous ID, often an auth user ID),
 * written the way each system writes them. The same seed gives the same events.
 */
export function ingestEvents(count: number, seed = 3601): DemoEvent[] {
  const random = seededRandom(seed);
  const people = demoPeople(Math.max(1, Math.ceil(count / 4)), seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const events: DemoEvent[] = [];
  for (let i = 0; i < count; i++) {
    const p = people[Math.floor(random() * people.length)]!;
    const d = distinctPhone(p.index);
    const occurredAt = new Date(Date.UTC(2026, 1, 1) + Math.floor(random() * 30 * 86_400_000)).toISOString();
    let roll = random();
    const kind = MIX.find((m) => (roll -= m.share) < 0) ?? MIX[0];
    const id = `${i}-${kind.source}`;
    switch (kind.type) {
      case 'page_viewed': {
        const product = Math.floor(random() * 400);
        events.push({
          event_id: id,
          source: 'web',
          type: 'page_viewed',
          occurred_at: occurredAt,
          identity: { email: p.email, anonymous_id: `anon-${p.index.toString(36)}-${(p.index * 7919).toString(36)}`, ...(p.authUserId ? { auth_user_id: p.authUserId } : {}) },
          properties: {
            url: `https://shop.example.com/products/p-${product}?utm_source=newsletter`,
            path: `/products/p-${product}`,
            title: `${pick(PRODUCTS)} | Example Shop`,
          },
        });
        break;
      }
      case 'order_completed': {
        const lines = 1 + Math.floor(random() * 3);
        const lineItems = Array.from({ length: lines }, () => {
          const quantity = 1 + Math.floor(random() * 3);
          const unit = 500 + Math.floor(random() * 9500);
          const sku = Math.floor(random() * 400);
          return { sku: `SKU-${sku}`, name: PRODUCTS[sku % PRODUCTS.length]!, quantity, unit_price_minor: unit, total_minor: unit * quantity };
        });
        events.push({
          event_id: id,
          source: 'pos',
          type: 'order_completed',
          occurred_at: occurredAt,
          identity: { email: p.email.toUpperCase(), phone: `+1 ${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, source_record_id: `POS-${p.index}` },
          traits: { first_name: p.firstName.toUpperCase() },
          properties: {
            order_id: `ord-${seed}-${i}`,
            store_id: `SF-0${1 + (p.index % 4)}`,
            currency: 'USD',
            total_minor: lineItems.reduce((sum, l) => sum + l.total_minor, 0),
            payment_method: 'card',
            line_items: lineItems,
          },
        });
        break;
      }
      case 'contact_updated':
        events.push({
          event_id: id,
          source: 'crm',
          type: 'contact_updated',
          occurred_at: occurredAt,
          identity: { email: `  ${p.email} `, phone: `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, source_record_id: `CRM-${10000 + p.index}` },
          traits: { first_name: p.firstName, last_name: p.lastName, city: CITIES[p.index % CITIES.length]!, country: 'US', postal_code: String(94000 + (p.index % 1000)) },
          properties: { lifecycle_stage: pick(STAGES), tags: [pick(TAGS), pick(TAGS)], owner: `rep-${p.index % 12}` },
        });
        break;
      case 'message_opened':
        events.push({
          event_id: id,
          source: 'messaging',
          type: 'message_opened',
          occurred_at: occurredAt,
          identity: { email: p.email, phone: d, source_record_id: `MSG-${p.index}` },
          properties: { channel: 'email', campaign_id: `spring-sale-${1 + (i % 6)}`, message_id: `sg-${seed}-${i}` },
        });
        break;
    }
  }
  return events;
}
