/**
 * The entities of a tenant as the matcher finds them: each entity's member records, and the
 * blocking keys under which a new record finds the entities worth scoring. A key shared by more
 * entities than `maxPerKey` (a "john smith", a common birthday) stops being looked up; every
 * record also carries keys that combine its fields (names with the date of birth, names with
 * the postcode), which are never closed, so no record is left out of matching.
 */
import type { MatchRecord } from './record.ts';

/**
 * The kinds of blocking key, in order; those starting with "!" stay open however many share
 * them. A record's key of a kind is the kind's name, a colon and its value (keyValues).
 */
const KEY_KINDS = ['e', 'p', 'i', 'el', 'n', '!nd', '!npc', '!nst', 'ny', 'd', 'spc', 'gpc', 'st', 'sc', 'gd', 'sd'] as const;
const ALWAYS_OPEN = KEY_KINDS.map((kind) => kind.startsWith('!'));

/** Parts joined as one value when every part is there, else null. */
const joined = (x: string | null | undefined, y: string | null | undefined) => (x && y ? `${x}|${y}` : null);

/** The value of each kind of key of the record (KEY_KINDS), null for a kind it has no key of. */
function keyValues(r: MatchRecord): (string | null)[] {
  const { givenSound: g, surnameSound: s, dob } = r;
  const names = g && s ? (s < g ? `${s}|${g}` : `${g}|${s}`) : null;
  const house = joined(r.streetNumber, r.street);
  return [
    r.email || null,
    r.phone || null,
    r.nationalId || null,
    r.emailLocal && r.emailLocal.length >= 5 ? r.emailLocal : null,
    names,
    joined(names, dob),
    joined(names, r.postcode),
    joined(names, house),
    joined(names, dob?.slice(0, 4)),
    dob || null,
    joined(s, r.postcode),
    joined(g, r.postcode),
    house,
    joined(s, r.city),
    joined(g, dob?.slice(4)),
    joined(s, dob?.slice(0, 6)),
  ];
}

/** The blocking keys of a record; those starting with "!" stay open however many share them. */
export function entityKeys(r: MatchRecord): string[] {
  const keys: string[] = [];
  keyValues(r).forEach((value, kind) => {
    if (value !== null) keys.push(`${KEY_KINDS[kind]}:${value}`);
  });
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
  // Per kind of key, the entities under each value: one entity as its number (most keys are one
  // person's), more as a list; and the values closed for being shared by too many.
  const postings = KEY_KINDS.map(() => new Map<string, number | number[]>());
  const closed = KEY_KINDS.map(() => new Set<string>());
  let alive = 0;
  // For candidates(): keys shared with the record per live entity (zero between calls), and the entities counted.
  let shared = new Int32Array(1024);
  const touched: number[] = [];
  const bySharedThenId = (a: number, b: number) => shared[b]! - shared[a]! || a - b;
  const count = (e: number) => {
    const live = find(e);
    if (shared[live] === 0) touched.push(live);
    shared[live]!++;
  };
  // The keys of the record last looked up: a record is looked up, then created or added, with the same keys.
  let keyed: MatchRecord | null = null;
  let keyedValues: (string | null)[] = [];
  const valuesOf = (record: MatchRecord): (string | null)[] => {
    if (record !== keyed) {
      keyedValues = keyValues(record);
      keyed = record;
    }
    return keyedValues;
  };
  const find = (e: number): number => {
    while (parent[e] !== e) {
      parent[e] = parent[parent[e]!]!;
      e = parent[e]!;
    }
    return e;
  };
  const post = (entity: number, record: MatchRecord) => {
    const values = valuesOf(record);
    for (let kind = 0; kind < KEY_KINDS.length; kind++) {
      const value = values[kind];
      if (value === null || value === undefined || closed[kind]!.has(value)) continue;
      const under = postings[kind]!;
      const list = under.get(value);
      if (list === undefined) {
        under.set(value, entity);
        continue;
      }
      let entities: number[];
      if (typeof list === 'number') {
        if (list === entity) continue;
        entities = [list, entity];
        under.set(value, entities);
      } else {
        if (list[list.length - 1] === entity) continue;
        list.push(entity);
        entities = list;
      }
      if (entities.length > maxPerKey && !ALWAYS_OPEN[kind]) {
        // Closed: too common to tell anyone apart. Compact first: merged entities count once.
        const live = [...new Set(entities.map(find))];
        if (live.length > maxPerKey) {
          closed[kind]!.add(value);
          under.delete(value);
        } else under.set(value, live);
      }
    }
  };
  /**
   * The first `limit` of the touched entities by shared keys, most first, then by ID, as sorting
   * them all would give, without sorting them all: the count that the limit falls in is found
   * from a histogram, and only the entities at that count are sorted (by ID).
   */
  const mostShared = (limit: number): number[] => {
    let most = 0;
    for (const e of touched) most = Math.max(most, shared[e]!);
    const histogram = new Int32Array(most + 1);
    for (const e of touched) {
      const n = shared[e]!;
      histogram[n] = histogram[n]! + 1;
    }
    let cutoff = most;
    let above = 0;
    while (above + histogram[cutoff]! < limit) above += histogram[cutoff--]!;
    const before: number[] = [];
    const at: number[] = [];
    for (const e of touched) {
      const n = shared[e]!;
      if (n > cutoff) before.push(e);
      else if (n === cutoff) at.push(e);
    }
    before.sort(bySharedThenId);
    const first = Int32Array.from(at).sort().subarray(0, limit - above);
    for (const e of first) before.push(e);
    return before;
  };

  return {
    members: (entity) => memberLists[find(entity)]!,
    find,
    candidates(record, limit) {
      if (shared.length < parent.length) shared = new Int32Array(Math.max(parent.length, shared.length * 2));
      const values = valuesOf(record);
      for (let kind = 0; kind < KEY_KINDS.length; kind++) {
        const value = values[kind];
        if (value === null || value === undefined) continue;
        const list = postings[kind]!.get(value);
        if (list === undefined) continue;
        if (typeof list === 'number') count(list);
        else for (const e of list) count(e);
      }
      const found = touched.length <= limit || !Number.isInteger(limit) || limit <= 0 ? touched.sort(bySharedThenId).slice(0, limit) : mostShared(limit);
      for (const e of touched) shared[e] = 0;
      touched.length = 0;
      return found;
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
      return closed.reduce((n, values) => n + values.size, 0);
    },
  };
}
