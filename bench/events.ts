/**
 * Benchmark events: the demo data set's people and events (CRM, POS, web, messaging, written the
 * way each system writes them), for about events/5 distinct people, shuffled so that sources
 * interleave as they would in production. Every run gets its own event IDs.
 */
import { demoEvents, demoPeople, type DemoEvent } from '../ingest/demo-data.ts';
import { seededRandom } from '../platform/random.ts';

const AREAS = ['415', '510', '650', '408', '212', '646', '718', '312', '617', '206'];

/**
 * The demo data set reuses 100 phone lines per area code (enough for its 400 people); beyond
 * that people would share phones and merge into one profile. Bench people get distinct, valid
 * NANP numbers instead (exchanges 230-289, never an N11 code).
 */
export function distinctPhone(index: number): string {
  const area = AREAS[index % AREAS.length]!;
  const rest = Math.floor(index / AREAS.length);
  const exchange = 230 + (Math.floor(rest / 10_000) % 60);
  const line = String(rest % 10_000).padStart(4, '0');
  return `${area}${exchange}${line}`;
}

export interface BenchEvents {
  events: DemoEvent[];
  people: number;
}

/** `count` events of about count/5 people; the same seed gives the same identities and order. */
export function benchEvents(count: number, runId: string, seed = 360): BenchEvents {
  const people = Math.max(1, Math.round(count / 5));
  let pool: DemoEvent[] = [];
  // The demo data has about seven events per person; top up for tiny counts.
  for (let extra = 0; pool.length < count; extra++) {
    const persons = demoPeople(people + extra * people, seed).map((p) => ({ ...p, phoneDigits: distinctPhone(p.index) }));
    pool = demoEvents(persons, seed);
  }
  const random = seededRandom(seed + 2);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const events = pool.slice(0, count).map((e) => ({ ...e, event_id: `${runId}-${e.event_id}` }));
  const distinct = new Set(events.map((e) => e.event_id.replace(/-(crm|pos|web|msg).*$/, '')));
  return { events, people: distinct.size };
}

/** Splits into batches of `size`. */
export function batchesOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
