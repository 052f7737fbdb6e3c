/**
 * The identity graph store (Postgres), continued: order independence and the sharing limits of
 * merge keys. The first part is test/graph-store.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphStore, Resolution } from '../resolver/graph-store.ts';
import type { Identity, Source } from '../schemas/types.ts';
import { uniqueName } from './support/engines.ts';
import { graphStoreFixture, phone, rawEvent, shuffled } from './support/graph-store-fixture.ts';

describe('identity graph store (Postgres): order and shared identifiers', () => {
  const g = graphStoreFixture();
  let store: GraphStore;
  beforeAll(() => {
    store = g.store;
  });
  const { resolve, activeProfiles, currentId } = g;

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
