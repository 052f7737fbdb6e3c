/**
 * A synthetic multi-source data set for the demo: each person shows up in the CRM, at the
 * point of sale, on the web and in messaging, written the way each system writes it (email in
 * other case and with spaces, phone in national, dotted and international formats), so that a
 * newcomer sees one profile per person come out of four systems.
 */
import type { Logger } from '../platform/logger.ts';
import { seededRandom } from '../platform/random.ts';

const FIRST = ['Ann', 'Bob', 'Chloé', 'Dev', 'Eva', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Lena', 'Mo', 'Nia', 'Otto', 'Pia'];
const LAST = ['Smith', 'Okafor', 'Müller', 'Garcia', 'Tanaka', 'Rossi', 'Nguyen', 'Kowalski', 'Haddad', 'Silva'];
const CITIES = ['San Francisco', 'Oakland', 'Berkeley', 'San Jose'];
const AREA = ['415', '510', '650', '408'];
const DOMAINS = ['mail.test', 'inbox.test', 'post.test'];

export interface DemoEvent {
  event_id: string;
  source: 'crm' | 'pos' | 'web' | 'messaging';
  type: string;
  occurred_at: string;
  identity: Record<string, string>;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface DemoPerson {
  index: number;
  firstName: string;
  lastName: string;
  email: string;
  phoneDigits: string;
  authUserId: string | null;
}

export function demoPeople(count: number, seed = 360): DemoPerson[] {
  const random = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, (_, index) => {
    const firstName = pick(FIRST);
    const lastName = pick(LAST);
    const local = `${firstName}.${lastName}${index}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    const area = AREA[index % AREA.length]!;
    const line = 100 + (Math.floor(index / AREA.length) % 100);
    return {
      index,
      firstName,
      lastName,
      email: `${local}@${pick(DOMAINS)}`,
      phoneDigits: `${area}5550${line}`,
      authUserId: random() < 0.6 ? `auth|${(100000 + index).toString(36)}` : null,
    };
  });
}

/** Every person's events across the four sources, in the formats those systems use. */
export function demoEvents(people: DemoPerson[], seed = 360): DemoEvent[] {
  const random = seededRandom(seed + 1);
  const events: DemoEvent[] = [];
  const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000 + Math.floor(random() * 86_400_000)).toISOString();
  for (const p of people) {
    // 555-0100 to 555-0199 are the numbers reserved for fiction: distinct for 400 people.
    const d = p.phoneDigits;
    const national = `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
    const id = `demo-${p.index}`;
    events.push({
      event_id: `${id}-crm-1`,
      source: 'crm',
      type: 'contact_created',
      occurred_at: day(p.index % 30),
      identity: { email: `  ${p.email.toUpperCase()} `, phone: national, source_record_id: `CRM-${10000 + p.index}` },
      traits: { first_name: p.firstName, last_name: p.lastName, city: CITIES[p.index % CITIES.length], country: 'US' },
    });
    const orders = 1 + Math.floor(random() * 3);
    for (let o = 0; o < orders; o++) {
      events.push({
        event_id: `${id}-pos-${o}`,
        source: 'pos',
        type: 'order_completed',
        occurred_at: day(40 + o * 10 + (p.index % 7)),
        identity: { phone: `+1 ${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, source_record_id: `POS-${p.index}` },
        traits: { first_name: p.firstName.toUpperCase() },
        properties: (() => {
          const unit = 500 + Math.floor(random() * 4500);
          const quantity = 1 + Math.floor(random() * 2);
          return {
            order_id: `ord-${p.index}-${o}`,
            store_id: 'SF-01',
            customer_kind: 'account',
            currency: 'USD',
            total_minor: unit * quantity,
            payment_method: 'card',
            line_items: [{ sku: `SKU-${(p.index + o) % 40}`, name: 'Item', quantity, unit_price_minor: unit, total_minor: unit * quantity }],
          };
        })(),
      });
    }
    events.push({
      event_id: `${id}-web-identify`,
      source: 'web',
      type: 'identify',
      occurred_at: day(35 + (p.index % 5)),
      identity: { email: p.email.replace(/^./, (c) => c.toUpperCase()), anonymous_id: `anon-${p.index}`, ...(p.authUserId ? { auth_user_id: p.authUserId } : {}) },
      traits: { first_name: p.firstName, last_name: p.lastName },
    });
    for (let v = 0; v < 2; v++) {
      events.push({
        event_id: `${id}-web-page-${v}`,
        source: 'web',
        type: 'page_viewed',
        occurred_at: day(36 + v),
        identity: { anonymous_id: `anon-${p.index}` },
        properties: { url: `/products/${(p.index * 7 + v) % 50}` },
      });
    }
    events.push({
      event_id: `${id}-msg-open`,
      source: 'messaging',
      type: 'message_opened',
      occurred_at: day(60),
      identity: { email: p.email, source_record_id: `MSG-${p.index}` },
      properties: { campaign_id: 'spring-sale', channel: 'email' },
    });
  }
  // A few anonymous cash sales: each still gets a profile of its own that owns the order.
  for (let i = 0; i < Math.max(1, Math.floor(people.length / 20)); i++) {
    events.push({
      event_id: `demo-cash-${i}`,
      source: 'pos',
      type: 'order_completed',
      occurred_at: day(50 + i),
      identity: {},
      properties: { order_id: `cash-${i}`, store_id: 'SF-01', customer_kind: 'anonymous', currency: 'USD', total_minor: 1250, payment_method: 'cash' },
    });
  }
  return events;
}

export interface DemoSummary {
  accepted: number;
  rejected: number;
  sampleEmail: string;
}

export async function feedDemoData(options: { url: string; apiKey: string; people: number; logger: Logger }): Promise<DemoSummary> {
  const people = demoPeople(options.people);
  const events = demoEvents(people);
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < events.length; i += 100) {
    const response = await fetch(`${options.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(events.slice(i, i + 100)),
    });
    const body = (await response.json()) as { accepted?: number; rejected?: number; message?: string };
    if (response.status >= 500) throw new Error(`demo data refused: ${response.status} ${body.message ?? ''}`);
    accepted += body.accepted ?? 0;
    rejected += body.rejected ?? 0;
  }
  options.logger.info({ accepted, rejected }, 'demo data sent');
  return { accepted, rejected, sampleEmail: people[0]!.email };
}
