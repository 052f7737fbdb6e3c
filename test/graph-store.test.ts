/**
 * The identity graph store on real Postgres: linking, merging, merge safety, junk identifiers,
 * orphans, redelivery, tenant isolation, concurrency, trait survivorship and order independence
 * (MISSION.md, "Identifiers and confidence" and "Merge safety").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, readMigrations } from '../platform/migrate.ts';
import { createGraphStore, type GraphStore, type Resolution } from '../resolver/graph-store.ts';
import { extractIdentifiers, type Identifier } from '../resolver/identifiers.ts';
import type { Attributes, Identity, RawEvent, Source } from '../schemas/types.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/engines.ts';

const BASE_TIME = Date.UTC(2024, 0, 1);

interface EventOptions {
  eventId?: string;
  traits?: Attributes;
  occurredAt?: number;
  source?: Source;
}

let eventSeq = 0;

function rawEvent(tenantId: string, identity: Partial<Identity>, options: EventOptions = {}): RawEvent {
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

const email = (value: string): Identifier => ({ type: 'email', source: '', value });
const phone = (value: string): Identifier => ({ type: 'phone', source: '', value });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('identity graph store (Postgres)', () => {
  let db: TestDatabase;
  let store: GraphStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, [...readMigrations('platform/migrations', 'platform'), ...readMigrations('resolver/migrations', 'resolver')]);
    store = createGraphStore(db.pool);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const resolve = (event: RawEvent): Promise<Resolution> => store.resolve(event, extractIdentifiers(event, 'US').identifiers);

  async function activeProfiles(tenantId: string): Promise<number> {
    const r = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM profiles WHERE tenant_id = $1 AND merged_into IS NULL', [tenantId]);
    return Number(r.rows[0]!.n);
  }
  async function allProfiles(tenantId: string): Promise<number> {
    const r = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM profiles WHERE tenant_id = $1', [tenantId]);
    return Number(r.rows[0]!.n);
  }
  /** The current profile an ID answers (a merged-away ID answers its survivor). */
  async function currentId(tenantId: string, id: string): Promise<string> {
    const view = await store.profileById(tenantId, id);
    expect(view, `profile ${id} in ${tenantId}`).not.toBeNull();
    return view!.customer360_id;
  }

  it('links the same person written differently to one profile, with the rule and confidence of the evidence', async () => {
    const t = uniqueName('tenant');

    const first = await resolve(rawEvent(t, { email: '  Ann.Smith@Mail.TEST ' }, { traits: { first_name: 'Ann' } }));
    expect(first.rule).toBe('new_profile');
    expect(first.change?.kind).toBe('created');
    expect(first.change?.emails).toEqual(['ann.smith@mail.test']);
    expect(first.change?.version).toBe(1);
    const id = first.customer360Id;

    const byEmail = await resolve(rawEvent(t, { email: 'ann.smith@mail.test' }, { traits: { last_name: 'Smith' } }));
    expect(byEmail.customer360Id).toBe(id);
    expect(byEmail.rule).toBe('email');
    expect(byEmail.confidence).toBe(0.95);
    expect(byEmail.change?.kind).toBe('updated');
    expect(byEmail.change?.version).toBe(2);
    expect(byEmail.change?.traits).toEqual({ first_name: 'Ann', last_name: 'Smith' });

    // The email matches; the phone is new and is attached to the profile.
    const addPhone = await resolve(rawEvent(t, { email: 'ANN.SMITH@mail.test', phone: '(415) 555-0123' }));
    expect(addPhone.customer360Id).toBe(id);
    expect(addPhone.rule).toBe('email');
    expect(addPhone.confidence).toBe(0.95);
    expect(addPhone.change?.kind).toBe('updated');
    expect(addPhone.change?.phones).toEqual(['+14155550123']);

    const byPhone = await resolve(rawEvent(t, { phone: '+1 415.555.0123' }));
    expect(byPhone.customer360Id).toBe(id);
    expect(byPhone.rule).toBe('phone');
    expect(byPhone.confidence).toBe(0.85);
    // Nothing new: no profile change to publish (Resolution.change is documented null then).
    expect(byPhone.change).toBeNull();

    const both = await resolve(rawEvent(t, { email: ' ann.smith@MAIL.test', phone: '415-555-0123' }));
    expect(both.customer360Id).toBe(id);
    expect(both.rule).toBe('email_phone');
    expect(both.confidence).toBe(0.99);

    const withAuth = await resolve(rawEvent(t, { auth_user_id: 'auth-ann', email: 'ann.smith@mail.test' }));
    expect(withAuth.customer360Id).toBe(id);
    expect(withAuth.rule).toBe('email');
    expect(withAuth.change?.kind).toBe('updated');
    expect(withAuth.change?.auth_user_id).toBe('auth-ann');

    const byAuth = await resolve(rawEvent(t, { auth_user_id: ' auth-ann ' }));
    expect(byAuth.customer360Id).toBe(id);
    expect(byAuth.rule).toBe('auth_user_id');
    expect(byAuth.confidence).toBe(1.0);

    expect(await allProfiles(t)).toBe(1);
    const profile = await store.profileByIdentifier(t, email('ann.smith@mail.test'));
    expect(profile?.customer360_id).toBe(id);
    expect(profile?.emails).toEqual(['ann.smith@mail.test']);
    expect(profile?.phones).toEqual(['+14155550123']);
    expect(profile?.auth_user_id).toBe('auth-ann');
    expect((await store.profileByIdentifier(t, phone('+14155550123')))?.customer360_id).toBe(id);
  });

  it('merges a profile known by email and one known by phone when an event carries both', async () => {
    const t = uniqueName('tenant');
    const a = await resolve(rawEvent(t, { email: 'bea.jones@mail.test' }, { traits: { first_name: 'Bea' } }));
    await sleep(5); // B is strictly younger than A
    const bEvent = rawEvent(t, { phone: '(212) 555-0147' }, { traits: { last_name: 'Jones' } });
    const b = await resolve(bEvent);
    expect(a.change?.kind).toBe('created');
    expect(b.change?.kind).toBe('created');
    expect(b.customer360Id).not.toBe(a.customer360Id);
    expect(await activeProfiles(t)).toBe(2);

    const mergeEvent = rawEvent(t, { email: 'Bea.Jones@mail.test', phone: '+1 212 555 0147' });
    const merged = await resolve(mergeEvent);
    expect(merged.customer360Id).toBe(a.customer360Id); // the older survives
    expect(merged.change?.kind).toBe('merged');
    expect(merged.change?.merged_ids).toEqual([b.customer360Id]);
    expect(merged.rule).toBe('email_phone');
    expect(merged.confidence).toBe(0.99);

    const viaMergedId = await store.profileById(t, b.customer360Id);
    expect(viaMergedId?.customer360_id).toBe(a.customer360Id);
    expect(viaMergedId?.merged_ids).toContain(b.customer360Id);
    expect(viaMergedId?.emails).toEqual(['bea.jones@mail.test']);
    expect(viaMergedId?.phones).toEqual(['+12125550147']);
    expect(viaMergedId?.traits).toEqual({ first_name: 'Bea', last_name: 'Jones' });
    expect((await store.profileById(t, a.customer360Id))?.merged_ids).toEqual([b.customer360Id]);
    expect((await store.profileByIdentifier(t, phone('+12125550147')))?.customer360_id).toBe(a.customer360Id);
    expect((await store.profileByIdentifier(t, email('bea.jones@mail.test')))?.customer360_id).toBe(a.customer360Id);
    expect(await activeProfiles(t)).toBe(1);

    const audit = await db.pool.query('SELECT survivor_id, merged_id, event_id, rule FROM profile_merges WHERE tenant_id = $1', [t]);
    expect(audit.rows).toEqual([{ survivor_id: a.customer360Id, merged_id: b.customer360Id, event_id: mergeEvent.event_id, rule: 'email_phone' }]);

    // A later phone-only event lands on the survivor; a redelivery of B's first event too.
    expect((await resolve(rawEvent(t, { phone: '2125550147' }))).customer360Id).toBe(a.customer360Id);
    expect((await resolve(bEvent)).customer360Id).toBe(a.customer360Id);
  });

  it('never merges profiles with different auth user IDs, even when they share an email', async () => {
    const t = uniqueName('tenant');
    const e = 'shared.inbox@family.test';
    const p = '(646) 555-0100';

    const u1 = await resolve(rawEvent(t, { auth_user_id: 'u1', email: e }));
    const u2Event = rawEvent(t, { auth_user_id: 'u2', email: e, phone: p });
    const u2 = await resolve(u2Event);
    expect(u2.customer360Id).not.toBe(u1.customer360Id);
    expect(u2.change?.kind).toBe('created');
    expect(u2.change?.auth_user_id).toBe('u2');
    // The email stays with u1's profile; u2's profile keeps its own auth ID and the new phone.
    expect(u2.change?.emails).toEqual([]);
    expect(u2.change?.phones).toEqual(['+16465550100']);

    const blocked1 = await db.pool.query<{ profile_ids: string[]; event_id: string }>(
      'SELECT profile_ids, event_id FROM blocked_merges WHERE tenant_id = $1 ORDER BY id',
      [t],
    );
    expect(blocked1.rows).toHaveLength(1);
    expect(blocked1.rows[0]!.event_id).toBe(u2Event.event_id);
    expect([...blocked1.rows[0]!.profile_ids].sort()).toEqual([u1.customer360Id, u2.customer360Id].sort());

    // No auth ID: the email (owned by u1's profile) and the phone (owned by u2's) point at both.
    const third = rawEvent(t, { email: e, phone: p });
    const linked = await resolve(third);
    expect([u1.customer360Id, u2.customer360Id]).toContain(linked.customer360Id);
    expect(linked.change?.kind ?? 'updated').not.toBe('merged');
    expect((await store.profileById(t, u1.customer360Id))?.customer360_id).toBe(u1.customer360Id);
    expect((await store.profileById(t, u2.customer360Id))?.customer360_id).toBe(u2.customer360Id);
    expect((await store.profileById(t, u1.customer360Id))?.merged_ids).toEqual([]);
    expect((await store.profileById(t, u2.customer360Id))?.merged_ids).toEqual([]);
    expect((await store.profileById(t, u1.customer360Id))?.auth_user_id).toBe('u1');
    expect((await store.profileById(t, u2.customer360Id))?.auth_user_id).toBe('u2');
    const blocked2 = await db.pool.query<{ event_id: string }>('SELECT event_id FROM blocked_merges WHERE tenant_id = $1 ORDER BY id', [t]);
    expect(blocked2.rows.map((r) => r.event_id)).toEqual([u2Event.event_id, third.event_id]);

    // u2 with an identifier owned by u1's profile: u2's profile, by auth user ID.
    const u2Again = await resolve(rawEvent(t, { auth_user_id: 'u2', email: e }));
    expect(u2Again.customer360Id).toBe(u2.customer360Id);
    expect(u2Again.rule).toBe('auth_user_id');
    expect(u2Again.confidence).toBe(1.0);
    expect((await store.profileByIdentifier(t, email(e)))?.customer360_id).toBe(u1.customer360Id);
    expect((await store.profileByIdentifier(t, { type: 'auth_user_id', source: '', value: 'u2' }))?.customer360_id).toBe(u2.customer360Id);

    expect(await activeProfiles(t)).toBe(2);
    const merges = await db.pool.query('SELECT 1 FROM profile_merges WHERE tenant_id = $1', [t]);
    expect(merges.rowCount).toBe(0);
  });

  it('never links on junk identifiers', async () => {
    const t = uniqueName('tenant');
    const ann = rawEvent(t, { email: 'test@test.com' }, { traits: { first_name: 'Ann' } });
    const bob = rawEvent(t, { email: 'TEST@test.com', phone: '000-000-0000' }, { traits: { first_name: 'Bob' } });
    expect(extractIdentifiers(ann, 'US')).toEqual({ identifiers: [], rejected: [{ type: 'email', reason: 'junk email' }] });
    expect(extractIdentifiers(bob, 'US').identifiers).toEqual([]);

    const r1 = await resolve(ann);
    const r2 = await resolve(bob);
    expect(r1.rule).toBe('new_profile');
    expect(r2.rule).toBe('new_profile');
    expect(r2.customer360Id).not.toBe(r1.customer360Id);
    expect(await activeProfiles(t)).toBe(2);
    expect((await store.profileById(t, r1.customer360Id))?.traits).toEqual({ first_name: 'Ann' });
    expect((await store.profileById(t, r2.customer360Id))?.traits).toEqual({ first_name: 'Bob' });
    const ids = await db.pool.query('SELECT 1 FROM identifiers WHERE tenant_id = $1', [t]);
    expect(ids.rowCount).toBe(0);
  });

  it('gives every anonymous cash sale an orphan profile of its own', async () => {
    const t = uniqueName('tenant');
    const sales = [rawEvent(t, {}, { source: 'pos' }), rawEvent(t, {}, { source: 'pos' }), rawEvent(t, {}, { source: 'pos' })];
    const results = [];
    for (const sale of sales) results.push(await resolve(sale));
    expect(new Set(results.map((r) => r.customer360Id)).size).toBe(3);
    for (const r of results) {
      expect(r.rule).toBe('new_profile');
      expect(r.change?.kind).toBe('created');
      const view = await store.profileById(t, r.customer360Id);
      expect(view).toMatchObject({ emails: [], phones: [], auth_user_id: null, anonymous_ids: [], source_ids: {}, merged_ids: [] });
    }
    expect(await activeProfiles(t)).toBe(3);
  });

  it('changes nothing on a redelivered event', async () => {
    const t = uniqueName('tenant');
    await resolve(rawEvent(t, { email: 'cleo@mail.test' }));
    const event = rawEvent(t, { email: 'cleo@mail.test', phone: '(415) 555-0177' }, { traits: { first_name: 'Cleo' } });
    const first = await resolve(event);
    const before = await store.profileById(t, first.customer360Id);
    const profilesBefore = await allProfiles(t);

    const again = await resolve(event);
    expect(again.customer360Id).toBe(first.customer360Id);
    expect(again.rule).toBe(first.rule);
    expect(again.confidence).toBe(first.confidence);
    const after = await store.profileById(t, first.customer360Id);
    expect(after?.version).toBe(before!.version);
    expect(after?.updated_at).toBe(before!.updated_at);
    expect(after).toEqual(before);
    expect(await allProfiles(t)).toBe(profilesBefore);
    const links = await db.pool.query('SELECT 1 FROM event_links WHERE tenant_id = $1 AND event_id = $2', [t, event.event_id]);
    expect(links.rowCount).toBe(1);

    // A redelivery with an identifier the profile does not know still changes nothing.
    const sameIdOtherContent = { ...event, identity: { ...event.identity, email: 'someone.else@mail.test' } };
    const third = await resolve(sameIdOtherContent);
    expect(third.customer360Id).toBe(first.customer360Id);
    expect((await store.profileById(t, first.customer360Id))?.version).toBe(before!.version);
    expect(await allProfiles(t)).toBe(profilesBefore);
    expect(await store.profileByIdentifier(t, email('someone.else@mail.test'))).toBeNull();
  });

  it('keeps tenants apart', async () => {
    const ta = uniqueName('tenant_a');
    const tb = uniqueName('tenant_b');
    const e = 'dana@mail.test';
    const a = await resolve(rawEvent(ta, { email: e, auth_user_id: 'dana' }));
    const b = await resolve(rawEvent(tb, { email: e }));
    expect(b.customer360Id).not.toBe(a.customer360Id);
    expect(b.rule).toBe('new_profile');
    expect(b.change?.kind).toBe('created');

    expect((await store.profileByIdentifier(ta, email(e)))?.customer360_id).toBe(a.customer360Id);
    const fromB = await store.profileByIdentifier(tb, email(e));
    expect(fromB?.customer360_id).toBe(b.customer360Id);
    expect(fromB?.tenant_id).toBe(tb);
    expect(fromB?.auth_user_id).toBeNull();
    expect(await store.profileById(tb, a.customer360Id)).toBeNull();
    expect(await store.profileById(ta, b.customer360Id)).toBeNull();
    expect(await store.profileByIdentifier(tb, { type: 'auth_user_id', source: '', value: 'dana' })).toBeNull();

    // An event of B with A's auth user ID and the shared email stays in B, linked by email.
    const b2 = await resolve(rawEvent(tb, { email: e, auth_user_id: 'dana' }));
    expect(b2.customer360Id).toBe(b.customer360Id);
    expect(await activeProfiles(ta)).toBe(1);
    expect(await activeProfiles(tb)).toBe(1);
  });

  it('resolves concurrent events of one person to exactly one profile, without deadlocks', async () => {
    const t = uniqueName('tenant');
    const events = Array.from({ length: 20 }, (_, i) =>
      rawEvent(t, { email: i % 3 === 0 ? 'Eve@Mail.test' : 'eve@mail.test', phone: i % 2 === 0 ? '(415) 555-0188' : null }, { traits: { n: i } }),
    );
    const results = await Promise.all(events.map((e) => resolve(e)));
    const ids = new Set<string>();
    for (const r of results) ids.add(await currentId(t, r.customer360Id));
    expect(ids.size).toBe(1);
    expect(await activeProfiles(t)).toBe(1);
    const profile = await store.profileByIdentifier(t, email('eve@mail.test'));
    expect(profile?.phones).toEqual(['+14155550188']);
    expect(results.filter((r) => r.change?.kind === 'created')).toHaveLength(1);

    // Two events at the same moment, one by email and one by phone and email: one profile.
    for (let round = 0; round < 10; round++) {
      const tr = uniqueName('tenant');
      const [x, y] = await Promise.all([
        resolve(rawEvent(tr, { email: 'finn@mail.test' })),
        resolve(rawEvent(tr, { phone: '(415) 555-0190', email: 'finn@mail.test' })),
      ]);
      expect(await currentId(tr, x.customer360Id)).toBe(await currentId(tr, y.customer360Id));
      expect(await activeProfiles(tr)).toBe(1);
      expect(await allProfiles(tr)).toBe(1);
    }

    // Email only, phone only and both at once: however they interleave, one active profile.
    for (let round = 0; round < 10; round++) {
      const tr = uniqueName('tenant');
      const results3 = await Promise.all([
        resolve(rawEvent(tr, { email: 'gus@mail.test' })),
        resolve(rawEvent(tr, { phone: '(415) 555-0191' })),
        resolve(rawEvent(tr, { email: 'gus@mail.test', phone: '(415) 555-0191' })),
      ]);
      const current = new Set<string>();
      for (const r of results3) current.add(await currentId(tr, r.customer360Id));
      expect(current.size).toBe(1);
      expect(await activeProfiles(tr)).toBe(1);
    }
  });

  it('links look-alikes without a shared identifier that two resolvers take at the same moment', async () => {
    // Each person's CRM record and till record share no identifier, only name, birth date and
    // address; they arrive in two batches resolved at once on two connections. Whichever commits
    // second must see the first: one profile per person, every round.
    const t = uniqueName('tenant');
    const given = ['Ingrid', 'Tobias', 'Magnus', 'Astrid', 'Leif', 'Sigrid', 'Harald', 'Freya', 'Bjorn', 'Solveig', 'Gunnar', 'Liv'];
    const surnames = ['Halvorsen', 'Lindqvist', 'Bergstrom', 'Sandvik', 'Eriksen', 'Nygaard', 'Johansen', 'Dahlberg', 'Holmberg', 'Strand', 'Aasen', 'Vik'];
    const people = Array.from({ length: 144 }, (_, i) => ({
      first_name: given[i % 12]!,
      last_name: surnames[Math.floor(i / 12)]!,
      date_of_birth: `19${50 + (i % 40)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
      street: `${10 + i} Fjord Road`,
      city: 'Bergen',
      postal_code: `5${String(100 + i)}`,
    }));
    // Two connections ready, so both batches start at once.
    await Promise.all([db.pool.query('SELECT pg_sleep(0.05)'), db.pool.query('SELECT pg_sleep(0.05)')]);
    const crm = people.map((p, i) => rawEvent(t, { email: `person${i}@crm.test` }, { traits: p, source: 'crm' }));
    const till = people.map((p, i) => rawEvent(t, { phone: `+1415555${String(1000 + i)}` }, { traits: p, source: 'pos' }));
    const forBatch = (events: RawEvent[]) => events.map((event) => ({ event, identifiers: extractIdentifiers(event, 'US').identifiers }));
    const [a, b] = await Promise.all([store.resolveBatch(forBatch(crm)), store.resolveBatch(forBatch(till))]);
    for (let i = 0; i < people.length; i++) {
      expect(await currentId(t, a[i]!.customer360Id)).toBe(await currentId(t, b[i]!.customer360Id));
    }
    expect(await activeProfiles(t)).toBe(people.length);
    // One of each pair linked probabilistically, with its probability as confidence.
    const fuzzy = [...a, ...b].filter((r) => r.rule === 'probabilistic');
    expect(fuzzy).toHaveLength(people.length);
    for (const r of fuzzy) expect(r.confidence).toBeGreaterThanOrEqual(0.999);
  });

  it('keeps the most recent non-empty trait value by occurred_at', async () => {
    const t = uniqueName('tenant');
    const at = (s: number) => BASE_TIME + s * 1000;
    const id = (await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(10), traits: { first_name: 'Hal', city: 'Oslo' } })))
      .customer360Id;

    const later = await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(30), traits: { first_name: 'Harold' } }));
    expect(later.customer360Id).toBe(id);
    expect(later.change?.traits.first_name).toBe('Harold');

    // An earlier event arriving late does not overwrite a later value (first_name, from t=30),
    // but does overwrite an even earlier one (city, from t=10).
    await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(20), traits: { first_name: 'Harry', city: 'Bergen' } }));
    let view = await store.profileById(t, id);
    expect(view?.traits).toEqual({ first_name: 'Harold', city: 'Bergen' });

    // Empty values never overwrite, however recent.
    await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(40), traits: { first_name: '', city: '   ' } }));
    await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(50), traits: { first_name: null } }));
    view = await store.profileById(t, id);
    expect(view?.traits).toEqual({ first_name: 'Harold', city: 'Bergen' });

    // A newer real value still wins after that.
    await resolve(rawEvent(t, { email: 'hal@mail.test' }, { occurredAt: at(60), traits: { city: 'Tromsø' } }));
    view = await store.profileById(t, id);
    expect(view?.traits).toEqual({ first_name: 'Harold', city: 'Tromsø' });
  });

  it('refuses a merge that would make a blob: more than ten profiles at once stay apart (size guard)', async () => {
    const t = uniqueName('guard');
    const emails = Array.from({ length: 11 }, (_, i) => `member${i}@mail.test`);
    const ids = [];
    for (const e of emails) ids.push((await resolve(rawEvent(t, { email: e }))).customer360Id);
    // One event naming all eleven (a shared device, a bulk import gone wrong).
    const all = await store.resolve(rawEvent(t, {}), emails.map(email));
    expect(all.customer360Id).toBe(ids[0]);
    expect(all.blockedReason).toBe('profile size guard');
    expect(await activeProfiles(t)).toBe(11);
    const blocked = await db.pool.query('SELECT reason, cardinality(profile_ids) AS n FROM blocked_merges WHERE tenant_id = $1', [t]);
    expect(blocked.rows).toEqual([{ reason: 'profile size guard', n: 11 }]);
    // Two at once still merge.
    const two = await store.resolve(rawEvent(t, {}), [email(emails[1]!), email(emails[2]!)]);
    expect(two.change?.kind).toBe('merged');
  });

  it('records consent versions per scope, moves them with a merge and numbers the merged history again', async () => {
    const tenant = uniqueName('consent');
    const consent = (identity: Partial<Identity>, scope: 'email' | 'sms', status: 'granted' | 'revoked', occurredAt: number): RawEvent => ({
      ...rawEvent(tenant, identity, { occurredAt }),
      type: 'consent_changed',
      consent_changed: { scope, status, policy_version: 'p1', ip: null, reason: null },
    });
    // Two profiles, each with its own email consent history (version 1 each).
    const a = await resolve(consent({ source_record_id: 'CRM-1' }, 'email', 'granted', BASE_TIME + 1000));
    const b = await resolve({
      ...rawEvent(tenant, { email: 'pat@mail.test' }, { occurredAt: BASE_TIME + 5000, source: 'messaging' }),
      type: 'unsubscribed',
      unsubscribed: { message_id: 'm1', channel: 'email', campaign_id: null, ip: '198.51.100.4', reason: null },
    });
    expect(b.customer360Id).not.toBe(a.customer360Id);
    await resolve(consent({ source_record_id: 'CRM-1' }, 'sms', 'granted', BASE_TIME + 2000));
    // A contact carrying both identifiers merges them.
    const merged = await resolve(rawEvent(tenant, { source_record_id: 'CRM-1', email: 'pat@mail.test' }, { occurredAt: BASE_TIME + 6000 }));
    expect(merged.change?.kind).toBe('merged');
    const history = (await store.consentHistory(tenant, b.customer360Id))!;
    expect(history.map((c) => [c.scope, c.status, c.version, c.event_type])).toEqual([
      ['email', 'granted', 1, 'consent_changed'],
      ['email', 'revoked', 2, 'unsubscribed'],
      ['sms', 'granted', 1, 'consent_changed'],
    ]);
    const view = (await store.profileById(tenant, a.customer360Id))!;
    expect(view.consent.email).toMatchObject({ status: 'revoked', version: 2, source: 'messaging' });
    expect(view.consent.sms).toMatchObject({ status: 'granted', version: 1 });
    // A redelivered consent event is recorded once.
    await resolve({ ...consent({ source_record_id: 'CRM-1' }, 'email', 'granted', BASE_TIME + 1000), event_id: history[0]!.event_id });
    expect((await store.consentHistory(tenant, a.customer360Id))!).toHaveLength(3);
  });

  it('partitions events into the same profiles whatever the order they arrive in', async () => {
    type Spec = { id: string; identity: Partial<Identity>; source?: Source };
    const specs: Spec[] = [
      // X: email only, then phone only, then both, then an anonymous ID with the phone.
      { id: 'x1', identity: { email: 'xena@mail.test' } },
      { id: 'x2', identity: { phone: '(415) 555-0101' } },
      { id: 'x3', identity: { email: 'XENA@mail.test', phone: '+1 415 555 0101' } },
      { id: 'x4', identity: { anonymous_id: 'anon-x', phone: '415.555.0101' }, source: 'web' },
      // Y: an account, its email, a CRM record by email, then the CRM record alone.
      { id: 'y1', identity: { auth_user_id: 'user-y' } },
      { id: 'y2', identity: { auth_user_id: 'user-y', email: 'yuri@mail.test' } },
      { id: 'y3', identity: { email: 'yuri@mail.test', source_record_id: 'crm-y' } },
      { id: 'y4', identity: { source_record_id: 'crm-y' } },
      // Z: phone, email, both; a junk email next to the phone; an anonymous ID with the email.
      { id: 'z1', identity: { phone: '(415) 555-0102' } },
      { id: 'z2', identity: { email: 'zoe@mail.test' } },
      { id: 'z3', identity: { email: 'zoe@mail.test', phone: '(415) 555-0102' } },
      { id: 'z4', identity: { email: 'test@test.com', phone: '(415) 555-0102' } },
      { id: 'z5', identity: { anonymous_id: 'anon-z', email: 'zoe@mail.test' }, source: 'web' },
    ];
    const expected = [
      ['x1', 'x2', 'x3', 'x4'],
      ['y1', 'y2', 'y3', 'y4'],
      ['z1', 'z2', 'z3', 'z4', 'z5'],
    ];
    const canonical = (clusters: string[][]) =>
      clusters
        .map((c) => [...c].sort().join(','))
        .sort()
        .join(' | ');

    const partitions: string[] = [];
    for (const seed of [1, 7, 42]) {
      const t = uniqueName(`tenant_order${seed}`);
      const order = shuffled(specs, seed);
      const linkOf = new Map<string, string>();
      for (const spec of order) {
        const event = rawEvent(t, spec.identity, { eventId: spec.id, source: spec.source ?? 'crm' });
        linkOf.set(spec.id, (await resolve(event)).customer360Id);
      }
      const clusters = new Map<string, string[]>();
      for (const [eventId, id] of linkOf) {
        const current = await currentId(t, id);
        (clusters.get(current) ?? clusters.set(current, []).get(current)!).push(eventId);
      }
      const partition = canonical([...clusters.values()]);
      expect(partition, `order ${order.map((s) => s.id).join(',')}`).toBe(canonical(expected));
      expect(await activeProfiles(t)).toBe(3);
      partitions.push(partition);
    }
    expect(new Set(partitions).size).toBe(1);
  });

  it('stops using a value as a merge key once more profiles share it than the tenant allows', async () => {
    // The shop's landline typed at the till for every walk-in: each walk-in with another given
    // name is refused the owner's profile (household rule) and counted as sharing the phone.
    const t = uniqueName('tenant');
    const shop = '(415) 555-0142';
    const names = ['Ann', 'Bob', 'Cleo', 'Dmitri', 'Esther', 'Farouk', 'Gwen'];
    const walkIns: Resolution[] = [];
    for (const first_name of names) walkIns.push(await resolve(rawEvent(t, { phone: shop }, { traits: { first_name }, source: 'pos' })));
    // Five profiles may share it (the default): the first six walk-ins were still matched by it
    // (and refused), the seventh finds it shared by six and is matched without it.
    expect(walkIns.map((r) => r.rule)).toEqual(['new_profile', 'new_profile', 'new_profile', 'new_profile', 'new_profile', 'new_profile', 'new_profile']);
    expect(walkIns.slice(1, 6).every((r) => r.blockedReason === 'shared phone or email, different given names')).toBe(true);
    expect(walkIns[6]!.blockedReason).toBeNull();
    expect(await activeProfiles(t)).toBe(7);
    // A nameless till event with that phone alone no longer lands on the first walk-in.
    const nameless = await resolve(rawEvent(t, { phone: shop }, { source: 'pos' }));
    expect(nameless.rule).toBe('new_profile');
    expect(nameless.customer360Id).not.toBe(walkIns[0]!.customer360Id);
    // Visible: the phone, its owner, how many profiles share it, and that it is no merge key now.
    const review = await store.reviewQueue(t);
    expect(review.shared_identifiers).toMatchObject([{ type: 'phone', value: '+14155550142', owner_id: walkIns[0]!.customer360Id, profiles: 6, limit: 5, merge_key: false }]);

    // A tenant may set its own limit: with two, the third walk-in is already matched without it.
    const t2 = uniqueName('tenant');
    await store.setTenantSettings(t2, { defaultRegion: null, emailProviderRules: false, sharingLimits: { phone: 2 } });
    const small: Resolution[] = [];
    for (const first_name of names.slice(0, 4)) small.push(await resolve(rawEvent(t2, { phone: shop }, { traits: { first_name }, source: 'pos' })));
    expect(small.map((r) => r.blockedReason)).toEqual([null, 'shared phone or email, different given names', 'shared phone or email, different given names', null]);
    // Emails have no limit in that tenant: the same family inbox keeps being refused by name.
    const family = 'family@mail.test';
    for (const first_name of names) await resolve(rawEvent(t2, { email: family }, { traits: { first_name } }));
    expect((await store.reviewQueue(t2)).shared_identifiers.find((s: { type: string }) => s.type === 'email')).toMatchObject({ profiles: 7, limit: null, merge_key: true });
  });
});
