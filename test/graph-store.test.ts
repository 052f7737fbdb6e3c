/**
 * The identity graph store on real Postgres: linking, merging, merge safety, junk identifiers,
 * orphans, redelivery, tenant isolation, concurrency, trait survivorship and order independence
 * (MISSION.md, "Identifiers and confidence" and "Merge safety").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphStore, Resolution } from '../resolver/graph-store.ts';
import { extractIdentifiers } from '../resolver/identifiers.ts';
import type { Identity, RawEvent } from '../schemas/types.ts';
import { uniqueName, type TestDatabase } from './support/engines.ts';
import { BASE_TIME, email, graphStoreFixture, phone, rawEvent, sleep } from './support/graph-store-fixture.ts';

describe('identity graph store (Postgres)', () => {
  const g = graphStoreFixture();
  let db: TestDatabase;
  let store: GraphStore;
  beforeAll(() => {
    db = g.db;
    store = g.store;
  });
  const { resolve, activeProfiles, allProfiles, currentId } = g;

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
      consent_changed: { scope, other_scope: null, status, policy_version: 'p1', ip: null, reason: null },
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
});
