/**
 * The identity graph store's tests share these: raw events of one person, identifiers, a
 * deterministic shuffle, and a store on a test database of its own with counting helpers.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { migratePostgres, readMigrations } from '../../platform/migrate.ts';
import { seededRandom } from '../../platform/random.ts';
import { createGraphStore, type GraphStore, type Resolution } from '../../resolver/graph-store.ts';
import { extractIdentifiers, type Identifier } from '../../resolver/identifiers.ts';
import type { Attributes, Identity, RawEvent, Source } from '../../schemas/types.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './engines.ts';

export const BASE_TIME = Date.UTC(2024, 0, 1);

export interface EventOptions {
  eventId?: string;
  traits?: Attributes;
  occurredAt?: number;
  source?: Source;
}

let eventSeq = 0;

export function rawEvent(tenantId: string, identity: Partial<Identity>, options: EventOptions = {}): RawEvent {
  eventSeq += 1;
  const occurredAt = options.occurredAt ?? BASE_TIME + eventSeq * 1000;
  return {
    event_id: options.eventId ?? `evt-${eventSeq}-${uniqueName('e')}`,
    tenant_id: tenantId,
    source: options.source ?? 'crm',
    type: 'identify',
    occurred_at: occurredAt,
    received_at: occurredAt + 10,
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
    traits: options.traits ?? {},
    properties: {},
  };
}

export const email = (value: string): Identifier => ({ type: 'email', source: '', value });
export const phone = (value: string): Identifier => ({ type: 'phone', source: '', value });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A graph store on a database of its own for the describe block it is called in. */
export function graphStoreFixture() {
  const fixture = {} as {
    db: TestDatabase;
    store: GraphStore;
    resolve(event: RawEvent): Promise<Resolution>;
    activeProfiles(tenantId: string): Promise<number>;
    allProfiles(tenantId: string): Promise<number>;
    currentId(tenantId: string, id: string): Promise<string>;
  };
  beforeAll(async () => {
    fixture.db = await createTestDatabase();
    await migratePostgres(fixture.db.pool, [...readMigrations('platform/migrations', 'platform'), ...readMigrations('resolver/migrations', 'resolver')]);
    fixture.store = createGraphStore(fixture.db.pool);
  });
  afterAll(async () => {
    await fixture.db?.drop();
  });
  fixture.resolve = (event) => fixture.store.resolve(event, extractIdentifiers(event, 'US').identifiers);
  fixture.activeProfiles = async (tenantId) => {
    const r = await fixture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM profiles WHERE tenant_id = $1 AND merged_into IS NULL', [tenantId]);
    return Number(r.rows[0]!.n);
  };
  fixture.allProfiles = async (tenantId) => {
    const r = await fixture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM profiles WHERE tenant_id = $1', [tenantId]);
    return Number(r.rows[0]!.n);
  };
  /** The current profile an ID answers (a merged-away ID answers its survivor). */
  fixture.currentId = async (tenantId, id) => {
    const view = await fixture.store.profileById(tenantId, id);
    expect(view, `profile ${id} in ${tenantId}`).not.toBeNull();
    return view!.customer360_id;
  };
  return fixture;
}
