/**
 * The entities of a tenant as the matcher finds them: each entity's member records, and the
 * blocking keys under which a new record finds the entities worth scoring. A key shared by more
 * entities than `maxPerKey` (a "john smith", a common birthday) stops being looked up; every
 * record also carries keys that combine its fields (names with the date of birth, names with
 * the postcode), which are never closed, so no record is left out of matching.
 */
import type { MatchRecord } from './record.ts';

/** The blocking keys of a record; those starting with "!" stay open however many share them. */
export function entityKeys(r: MatchRecord): string[] {
  const keys: string[] = [];
  const add = (name: string, ...parts: (string | null | undefined)[]) => {
    if (parts.every((p) => p)) keys.push(`${name}:${parts.join('|')}`);
  };
  const names = r.givenSound && r.surnameSound ? [r.givenSound, r.surnameSound].sort().join('|') : null;
  add('e', r.email);
  add('p', r.phone);
  add('i', r.nationalId);
  if (r.emailLocal && r.emailLocal.length >= 5) add('el', r.emailLocal);
  add('n', names);
  add('!nd', names, r.dob);
  add('!npc', names, r.postcode);
  add('!nst', names, r.streetNumber, r.street);
  add('ny', names, r.dob?.slice(0, 4));
  add('d', r.dob);
  add('spc', r.surnameSound, r.postcode);
  add('gpc', r.givenSound, r.postcode);
  add('st', r.streetNumber, r.street);
  add('sc', r.surnameSound, r.city);
  add('gd', r.givenSound, r.dob?.slice(4));
  add('sd', r.surnameSound, r.dob?.slice(0, 6));
  return keys;
}

export interface EntityIndex {
  /** Member records of an entity. */
  members(entity: number): readonly MatchRecord[];
  /** The live entity an entity ID now belongs to (after merges). */
  find(entity: number): number;
  /** Entities sharing keys with the record, those sharing the most first, at most `limit`. */
  candidates(record: MatchRecord, limit: number): number[];
  /** A new entity of this record; answers its ID. */
  create(record: MatchRecord): number;
  /** Adds the record to the entity. */
  add(entity: number, record: MatchRecord): void;
  /** Merges b into a; answers the survivor. */
  merge(a: number, b: number): number;
  readonly entities: number;
  /** Keys closed for being shared by too many entities. */
  readonly closedKeys: number;
}

/** How many member records of an entity are compared: distinct ones, the first of each shape. */
const MAX_MEMBERS = 30;

export function createEntityIndex(maxPerKey = 200): EntityIndex {
  const parent: number[] = [];
  const memberLists: MatchRecord[][] = [];
  const postings = new Map<string, number[]>();
  const closed = new Set<string>();
  let alive = 0;
  const find = (e: number): number => {
    while (parent[e] !== e) {
      parent[e] = parent[parent[e]!]!;
      e = parent[e]!;
    }
    return e;
  };
  const post = (entity: number, record: MatchRecord) => {
    for (const key of entityKeys(record)) {
      if (closed.has(key)) continue;
      const list = postings.get(key);
      if (!list) postings.set(key, [entity]);
      else if (list[list.length - 1] !== entity) {
        list.push(entity);
        if (list.length > maxPerKey && !key.startsWith('!')) {
          // Closed: too common to tell anyone apart. Compact first: merged entities count once.
          const live = [...new Set(list.map(find))];
          if (live.length > maxPerKey) {
            closed.add(key);
            postings.delete(key);
          } else postings.set(key, live);
        }
      }
    }
  };
  return {
    members: (entity) => memberLists[find(entity)]!,
    find,
    candidates(record, limit) {
      const shared = new Map<number, number>();
      for (const key of entityKeys(record)) {
        const list = postings.get(key);
        if (!list) continue;
        for (const e of list) {
          const live = find(e);
          shared.set(live, (shared.get(live) ?? 0) + 1);
        }
      }
      return [...shared].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([e]) => e);
    },
    create(record) {
      const id = parent.length;
      parent.push(id);
      memberLists.push([record]);
      alive++;
      post(id, record);
      return id;
    },
    add(entity, record) {
      const e = find(entity);
      const list = memberLists[e]!;
      if (list.length < MAX_MEMBERS) list.push(record);
      post(e, record);
    },
    merge(a, b) {
      const x = find(a);
      const y = find(b);
      if (x === y) return x;
      const [survivor, gone] = x < y ? [x, y] : [y, x];
      parent[gone] = survivor;
      const into = memberLists[survivor]!;
      for (const r of memberLists[gone]!) if (into.length < MAX_MEMBERS) into.push(r);
      memberLists[gone] = [];
      alive--;
      return survivor;
    },
    get entities() {
      return alive;
    },
    get closedKeys() {
      return closed.size;
    },
  };
}
