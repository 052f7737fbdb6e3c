/**
 * The batch resolver: a batch of events resolved in one transaction with a few queries, not a
 * dozen per event.
 *
 * 1. Advisory locks on every key of the batch (event IDs, identifiers, blocking keys), taken in
 *    one statement in sorted order, so batches on other partitions that share a key wait and two
 *    resolvers never deadlock on them.
 * 2. One query each: which events were resolved before, who owns the batch's identifiers, the
 *    profiles under its blocking keys and their person records, the candidate profiles (locked
 *    FOR UPDATE, in ID order) and all their identifiers.
 * 3. In memory, event after event in order, the same decisions as the single-event path
 *    (`decide.ts`): link, create, refuse; each event sees what the events before it changed.
 * 4. One statement per table writes what the batch changed.
 *
 * An event that merges profiles, or one resolved before (a redelivery), goes through the
 * single-event path inside the same transaction, after what came before it is written; after a
 * merge the state of the remaining events is read again. Merges are rare in a stream: most
 * events link to one profile or create one.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ProfileChange, ProfileChangeKind } from '../schemas/types.ts';
import { identifierKey, type Identifier, type IdentifierType } from './identifiers.ts';
import type { PairScore } from './fuzzy/model.ts';
import { recordFingerprint } from './fuzzy/of-event.ts';
import type { PersonRecord } from './fuzzy/person.ts';
import { recordValues, survive, type SurvivorshipRule, type TraitHistory } from './survivorship.ts';
import {
  allowedCandidates,
  blockedReasonOf,
  historyOfRow,
  linkOf,
  sameTraits,
  scoreAgainst,
  fuzzyLinksOf,
  traitsOf,
  type PreparedEvent,
  type ProfileRow,
  type TenantMatching,
} from './decide.ts';
import { consentOf, recordConsent, upsertIdentifiers, type IdentifierSighting } from './graph-writes.ts';
import type { Resolution } from './graph-store.ts';

export interface BatchContext {
  rulesOf(client: pg.PoolClient, tenantId: string): Promise<Record<string, SurvivorshipRule>>;
  matchingOf(client: pg.PoolClient, tenantId: string): Promise<TenantMatching>;
  /** The single-event path, for merges and redeliveries (its locks are already held). */
  resolveOne(client: pg.PoolClient, prepared: PreparedEvent): Promise<Resolution>;
  maxBlockProfiles: number;
  /** Sharing limits per identifier type of a tenant. */
  sharingLimitsOf(client: pg.PoolClient, tenantId: string): Promise<Partial<Record<IdentifierType, number>>>;
}

interface IdentifierState {
  type: IdentifierType;
  source: string;
  value: string;
  lastSeen: number;
  count: number;
}

interface ProfileState {
  tenantId: string;
  row: ProfileRow;
  history: TraitHistory;
  /** Every identifier the profile owns, by identifierKey. */
  identifiers: Map<string, IdentifierState>;
  created: boolean;
  dirty: boolean;
}

interface BatchState {
  /** Profiles seen under each usable blocking key (tenant, key, profile), kept across reloads. */
  known: Set<string>;
  linked: Set<string>;
  owners: Map<string, string>;
  /** Profiles other than the owner that presented each identifier of the batch (identifier_sharers). */
  sharers: Map<string, Set<string>>;
  profiles: Map<string, ProfileState>;
  /** Profiles under a blocking key: the count, and the members when the key is usable. */
  blocks: Map<string, { count: number; members: Set<string> }>;
  records: Map<string, PersonRecord[]>;
}

const sep = '\u001f';
const eventKey = (p: PreparedEvent) => p.event.tenant_id + sep + p.event.event_id;
const blockKey = (tenantId: string, key: string) => tenantId + sep + key;

/** Contention with another resolver, not the data: the batch starts over (flagged for the stage runner when it keeps happening). */
export class CandidateMovedError extends Error {
  readonly retriable = true;
}

/** Takes advisory locks on the keys in the order given (callers sort them: no deadlock between batches). */
async function lockKeys(client: pg.PoolClient, keys: string[]): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n', [keys]);
}

/** The distinct (tenant, blocking key) pairs of the events with a person record. */
function blockPairs(items: PreparedEvent[]): [string, string][] {
  return [...new Set(items.filter((p) => p.record !== null).flatMap((p) => p.recordKeys.map((k) => blockKey(p.event.tenant_id, k))))].map(
    (k) => k.split(sep) as [string, string],
  );
}

/**
 * Locks the event IDs and identifiers of the batch in one statement, sorted, so concurrent
 * batches never deadlock on them: events of one person on two partitions wait for each other.
 * Blocking keys are normally locked at the end of the batch, for a short time (guardLookAlikes);
 * with `blockingKeys` (a batch starting over after a look-alike race or a deadlock) the usable
 * ones are locked here too, for the whole batch, so the second attempt cannot lose the race again.
 */
export async function lockBatch(client: pg.PoolClient, items: PreparedEvent[], options: { blockingKeys: boolean; maxBlockProfiles: number }): Promise<void> {
  let blockKeys: string[] = [];
  const pairs = options.blockingKeys ? blockPairs(items) : [];
  if (pairs.length) {
    const { rows } = await client.query<{ t: string; k: string }>(
      `SELECT q.t, q.k FROM (SELECT DISTINCT t, k FROM unnest($1::text[], $2::text[]) AS q(t, k)) q
        WHERE (SELECT count(*) FROM (SELECT 1 FROM blocking_keys b WHERE b.tenant_id = q.t AND b.key = q.k LIMIT $3 + 1) s) <= $3`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1]), options.maxBlockProfiles],
    );
    blockKeys = rows.map((r) => `block${sep}${r.t}${sep}${r.k}`);
  }
  await lockKeys(client, [...new Set([...items.flatMap((p) => p.lockKeys), ...blockKeys])].sort());
}

/** A look-alike of an event of the batch was resolved by another resolver meanwhile: start over. */
export class LookAlikeRaceError extends Error {
  readonly retriable = true;
}

async function loadProfiles(client: pg.PoolClient, state: BatchState, wanted: { tenantId: string; id: string }[]): Promise<void> {
  const missing = wanted.filter((w) => !state.profiles.has(w.id)).sort((a, b) => (a.tenantId + a.id < b.tenantId + b.id ? -1 : 1));
  if (missing.length === 0) return;
  const { rows } = await client.query<ProfileRow & { tenant_id: string }>(
    `SELECT p.tenant_id, p.customer360_id, p.created_at, p.updated_at, p.version, p.merged_into, p.traits, p.trait_history, p.deleted_at
       FROM profiles p JOIN unnest($1::text[], $2::uuid[]) AS q(t, id) ON p.tenant_id = q.t AND p.customer360_id = q.id
      ORDER BY p.tenant_id, p.customer360_id FOR UPDATE OF p`,
    [missing.map((m) => m.tenantId), missing.map((m) => m.id)],
  );
  // A candidate merged away (or gone) since its identifiers were read: start the batch over.
  if (rows.length !== missing.length || rows.some((r) => r.merged_into !== null)) throw new CandidateMovedError('a candidate profile was merged meanwhile');
  for (const row of rows) {
    state.profiles.set(row.customer360_id, { tenantId: row.tenant_id, row, history: historyOfRow(row), identifiers: new Map(), created: false, dirty: false });
  }
  const ids = await client.query<{ tenant_id: string; customer360_id: string; type: IdentifierType; source: string; value: string; last_seen: Date; seen_count: string }>(
    `SELECT i.tenant_id, i.customer360_id, i.type, i.source, i.value, i.last_seen, i.seen_count
       FROM identifiers i JOIN unnest($1::text[], $2::uuid[]) AS q(t, id) ON i.tenant_id = q.t AND i.customer360_id = q.id`,
    [rows.map((r) => r.tenant_id), rows.map((r) => r.customer360_id)],
  );
  for (const r of ids.rows) {
    const key = identifierKey(r.tenant_id, r);
    state.profiles.get(r.customer360_id)!.identifiers.set(key, { type: r.type, source: r.source, value: r.value, lastSeen: r.last_seen.getTime(), count: Number(r.seen_count) });
    state.owners.set(key, r.customer360_id);
  }
}

/** What the database holds for the events of a batch: step 2 above. */
async function loadState(client: pg.PoolClient, items: PreparedEvent[], ctx: BatchContext, known = new Set<string>()): Promise<BatchState> {
  const state: BatchState = { known, linked: new Set(), owners: new Map(), sharers: new Map(), profiles: new Map(), blocks: new Map(), records: new Map() };
  if (items.length === 0) return state;
  const linked = await client.query<{ tenant_id: string; event_id: string }>(
    `SELECT l.tenant_id, l.event_id FROM event_links l
       JOIN unnest($1::text[], $2::text[]) AS q(t, e) ON l.tenant_id = q.t AND l.event_id = q.e`,
    [items.map((p) => p.event.tenant_id), items.map((p) => p.event.event_id)],
  );
  for (const r of linked.rows) state.linked.add(r.tenant_id + sep + r.event_id);

  const wanted = new Map<string, { tenantId: string; id: string }>();
  const idents = items.flatMap((p) => p.identifiers.map((i) => ({ tenantId: p.event.tenant_id, ...i })));
  if (idents.length) {
    const { rows } = await client.query<{ tenant_id: string; type: IdentifierType; source: string; value: string; customer360_id: string }>(
      `SELECT i.tenant_id, i.type, i.source, i.value, i.customer360_id FROM identifiers i
         JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(t, type, source, value)
           ON i.tenant_id = q.t AND i.type = q.type AND i.source = q.source AND i.value = q.value`,
      [idents.map((i) => i.tenantId), idents.map((i) => i.type), idents.map((i) => i.source), idents.map((i) => i.value)],
    );
    for (const r of rows) {
      state.owners.set(identifierKey(r.tenant_id, r), r.customer360_id);
      wanted.set(r.customer360_id, { tenantId: r.tenant_id, id: r.customer360_id });
    }
    const sharers = await client.query<{ tenant_id: string; type: IdentifierType; source: string; value: string; customer360_id: string }>(
      `SELECT s.tenant_id, s.type, s.source, s.value, s.customer360_id FROM identifier_sharers s
         JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(t, type, source, value)
           ON s.tenant_id = q.t AND s.type = q.type AND s.source = q.source AND s.value = q.value`,
      [idents.map((i) => i.tenantId), idents.map((i) => i.type), idents.map((i) => i.source), idents.map((i) => i.value)],
    );
    for (const r of sharers.rows) {
      const key = identifierKey(r.tenant_id, r);
      state.sharers.set(key, (state.sharers.get(key) ?? new Set()).add(r.customer360_id));
    }
  }

  const withRecords = items.filter((p) => p.record !== null);
  if (withRecords.length) {
    const pairs = blockPairs(withRecords);
    const { rows } = await client.query<{ tenant_id: string; key: string; n: number; customer360_id: string | null }>(
      `WITH q AS (SELECT DISTINCT t, k FROM unnest($1::text[], $2::text[]) AS q(t, k)),
            counts AS (SELECT b.tenant_id, b.key, count(*)::int AS n FROM blocking_keys b JOIN q ON b.tenant_id = q.t AND b.key = q.k GROUP BY 1, 2)
       SELECT c.tenant_id, c.key, c.n, b.customer360_id FROM counts c
         LEFT JOIN blocking_keys b ON c.n <= $3 AND b.tenant_id = c.tenant_id AND b.key = c.key`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1]), ctx.maxBlockProfiles],
    );
    const members = new Map<string, string>();
    for (const r of rows) {
      const key = blockKey(r.tenant_id, r.key);
      const block = state.blocks.get(key) ?? { count: r.n, members: new Set<string>() };
      state.blocks.set(key, block);
      if (r.customer360_id) {
        block.members.add(r.customer360_id);
        state.known.add(key + sep + r.customer360_id);
        members.set(r.customer360_id, r.tenant_id);
      }
    }
    if (members.size) {
      const records = await client.query<{ customer360_id: string; record: PersonRecord }>(
        `SELECT r.customer360_id, r.record FROM person_records r
           JOIN unnest($1::text[], $2::uuid[]) AS q(t, id) ON r.tenant_id = q.t AND r.customer360_id = q.id`,
        [[...members.values()], [...members.keys()]],
      );
      for (const r of records.rows) state.records.set(r.customer360_id, [...(state.records.get(r.customer360_id) ?? []), r.record]);
      // The profiles an event of the batch may link to by its fuzzy evidence are locked with the others.
      for (const p of withRecords) {
        const matching = await ctx.matchingOf(client, p.event.tenant_id);
        for (const id of membersOf(state, p)) {
          const score = scoreAgainst(p.record!, state.records.get(id) ?? [], matching);
          if (score && score.probability >= matching.linkThreshold) wanted.set(id, { tenantId: p.event.tenant_id, id });
        }
      }
    }
  }
  await loadProfiles(client, state, [...wanted.values()]);
  return state;
}

/** The profiles under the event's usable blocking keys. */
function membersOf(state: BatchState, p: PreparedEvent, maxBlock = Infinity): Set<string> {
  const out = new Set<string>();
  for (const k of p.recordKeys) {
    const block = state.blocks.get(blockKey(p.event.tenant_id, k));
    if (block && block.count <= maxBlock) for (const id of block.members) out.add(id);
  }
  return out;
}

interface Pending {
  sightings: Map<string, IdentifierSighting>;
  sharers: unknown[][];
  links: unknown[][];
  records: unknown[][];
  keys: unknown[][];
  reviews: unknown[][];
  blocked: unknown[][];
  consent: { prepared: PreparedEvent; id: string }[];
}

const emptyPending = (): Pending => ({ sightings: new Map(), sharers: [], links: [], records: [], keys: [], reviews: [], blocked: [], consent: [] });

/** Columns of rows, for unnest. */
const columns = (rows: unknown[][], width: number) => Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));

/** Step 4: one statement per table. */
async function writePending(client: pg.PoolClient, state: BatchState, pending: Pending): Promise<void> {
  const touched = [...state.profiles.values()].filter((s) => s.dirty);
  const profileRows = (list: ProfileState[]) =>
    columns(
      list.map((s) => [s.tenantId, s.row.customer360_id, s.row.created_at, s.row.updated_at, s.row.version, JSON.stringify(s.row.traits), JSON.stringify(s.history)]),
      7,
    );
  const created = touched.filter((s) => s.created);
  const updated = touched.filter((s) => !s.created);
  if (created.length) {
    await client.query(
      `INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, traits, trait_history)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::jsonb[], $7::jsonb[])`,
      profileRows(created),
    );
  }
  if (updated.length) {
    await client.query(
      `UPDATE profiles p SET updated_at = u.updated_at, version = u.version, traits = u.traits, trait_history = u.history
         FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::jsonb[], $7::jsonb[])
           AS u(tenant_id, id, created_at, updated_at, version, traits, history)
        WHERE p.tenant_id = u.tenant_id AND p.customer360_id = u.id`,
      profileRows(updated),
    );
  }
  for (const s of touched) {
    s.created = false;
    s.dirty = false;
  }
  await upsertIdentifiers(client, [...pending.sightings.values()]);
  if (pending.sharers.length) {
    await client.query(
      `INSERT INTO identifier_sharers (tenant_id, type, source, value, customer360_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[]) ON CONFLICT DO NOTHING`,
      columns(pending.sharers, 5),
    );
  }
  if (pending.links.length) {
    await client.query(
      `INSERT INTO event_links (tenant_id, event_id, customer360_id, rule, confidence, evidence)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::float8[], $6::jsonb[])`,
      columns(pending.links, 6),
    );
  }
  if (pending.records.length) {
    await client.query(
      `INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[]) ON CONFLICT DO NOTHING`,
      columns(pending.records, 5),
    );
  }
  if (pending.keys.length) {
    await client.query(
      'INSERT INTO blocking_keys (tenant_id, key, customer360_id) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[]) ON CONFLICT DO NOTHING',
      columns(pending.keys, 3),
    );
  }
  if (pending.reviews.length) {
    await client.query(
      `INSERT INTO match_reviews (tenant_id, customer360_id, candidate_id, probability, evidence, event_id)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::float8[], $5::jsonb[], $6::text[])`,
      columns(pending.reviews, 6),
    );
  }
  if (pending.blocked.length) {
    // profile_ids is an array per row: unnest cannot take an array of arrays of varying length.
    await client.query(
      `INSERT INTO blocked_merges (tenant_id, profile_ids, event_id, reason)
       SELECT t, string_to_array(ids, ',')::uuid[], e, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(t, ids, e, r)`,
      columns(pending.blocked, 4),
    );
  }
  // Consent versions are numbered from what is stored: one statement per consent event, in order.
  for (const c of pending.consent) await recordConsent(client, c.prepared.event, c.id);
  Object.assign(pending, emptyPending());
}

function changeOfState(s: ProfileState, kind: ProfileChangeKind): ProfileChange {
  const ids = [...s.identifiers.values()].sort((a, b) => b.lastSeen - a.lastSeen || b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const of = (type: Identifier['type']) => ids.filter((i) => i.type === type).map((i) => i.value);
  const sourceIds: Record<string, string[]> = {};
  for (const i of ids.filter((i) => i.type === 'source_record_id')) (sourceIds[i.source] ??= []).push(i.value);
  return {
    change_id: randomUUID(),
    kind,
    tenant_id: s.tenantId,
    customer360_id: s.row.customer360_id,
    merged_ids: [],
    changed_at: Date.now(),
    version: Number(s.row.version),
    emails: of('email'),
    phones: of('phone'),
    auth_user_id: of('auth_user_id')[0] ?? null,
    source_ids: sourceIds,
    traits: Object.fromEntries(Object.entries(s.row.traits).map(([k, v]) => [k, v.value])),
    created_at: s.row.created_at.getTime(),
    deleted: Boolean(s.row.deleted_at),
  };
}

/** Resolves a batch inside the caller's transaction, its keys already locked (lockBatch). */
export async function resolveLockedBatch(client: pg.PoolClient, items: PreparedEvent[], ctx: BatchContext): Promise<Resolution[]> {
  const results: Resolution[] = [];
  let state = await loadState(client, items, ctx);
  const pending = emptyPending();

  for (let n = 0; n < items.length; n++) {
    const p = items[n]!;
    const { event, record } = p;
    const tenantId = event.tenant_id;
    const limits = await ctx.sharingLimitsOf(client, tenantId);
    const identifiers = usableIdentifiers(p.identifiers, tenantId, limits, (key) => state.sharers.get(key)?.size ?? 0);
    if (state.linked.has(eventKey(p))) {
      // A redelivery: the single-event path answers the link it made and the profile as it is now.
      await writePending(client, state, pending);
      results.push(await ctx.resolveOne(client, p));
      continue;
    }
    const ownerOf = (i: Identifier) => state.owners.get(identifierKey(tenantId, i));
    const matching = record ? await ctx.matchingOf(client, tenantId) : null;
    const scores = new Map<string, PairScore>();
    if (record) {
      for (const id of membersOf(state, p, ctx.maxBlockProfiles)) {
        const score = scoreAgainst(record, state.records.get(id) ?? [], matching!);
        if (score) scores.set(id, score);
      }
    }
    const fuzzyLinks = record ? fuzzyLinksOf(scores, (id) => state.records.get(id) ?? [], matching!) : new Map<string, PairScore>();
    const candidateIds = [...new Set([...identifiers.map(ownerOf).filter((id): id is string => id !== undefined), ...fuzzyLinks.keys()])].sort();
    await loadProfiles(client, state, candidateIds.map((id) => ({ tenantId, id })));
    const candidates = candidateIds.map((id) => state.profiles.get(id)!.row);
    const authOf = new Map<string, string>();
    for (const id of candidateIds) {
      const auth = [...state.profiles.get(id)!.identifiers.values()].find((i) => i.type === 'auth_user_id');
      if (auth) authOf.set(id, auth.value);
    }
    const { anchorAuth, allowed } = allowedCandidates({ event, identifiers, candidates, ownerOf, authOf, fuzzyLinks });
    if (allowed.length > 1) {
      // A merge: through the single-event path, then the remaining events see the merged graph.
      await writePending(client, state, pending);
      results.push(await ctx.resolveOne(client, p));
      state = await loadState(client, items.slice(n + 1), ctx, state.known);
      continue;
    }
    const blocked = candidates.filter((c) => !allowed.includes(c));
    const blockedReason = blockedReasonOf({ blocked, allowed, authOf, anchorAuth, sizeGuard: false });
    const now = new Date();
    const created = allowed.length === 0;
    let survivor: ProfileState;
    if (created) {
      const row: ProfileRow = { customer360_id: randomUUID(), created_at: now, updated_at: now, version: '0', merged_into: null, traits: {}, trait_history: {} };
      survivor = { tenantId, row, history: {}, identifiers: new Map(), created: true, dirty: true };
      state.profiles.set(row.customer360_id, survivor);
    } else {
      survivor = state.profiles.get(allowed[0]!.customer360_id)!;
    }
    const id = survivor.row.customer360_id;
    const link = linkOf({ created, identifiers, ownerOf, joining: new Set(created ? [] : [id]), fuzzyLinks });
    if (blocked.length) pending.blocked.push([tenantId, [id, ...blocked.map((b) => b.customer360_id)].join(','), event.event_id, blockedReason]);
    // The event's profile shares the identifiers of the refused profiles: counted towards the limits.
    for (const i of identifiers) {
      const key = identifierKey(tenantId, i);
      const owner = state.owners.get(key);
      if (owner === undefined || !blocked.some((b) => b.customer360_id === owner)) continue;
      const sharers = state.sharers.get(key) ?? new Set<string>();
      state.sharers.set(key, sharers);
      if (!sharers.has(id)) {
        sharers.add(id);
        pending.sharers.push([tenantId, i.type, i.source, i.value, id]);
      }
    }

    // Attach the event's identifiers that no refused profile owns.
    let changed = created;
    const seenAt = event.occurred_at;
    for (const i of identifiers) {
      const key = identifierKey(tenantId, i);
      const owner = state.owners.get(key);
      if (owner !== undefined && owner !== id) continue;
      const held = survivor.identifiers.get(key);
      if (owner === undefined || !held) {
        changed = true;
        state.owners.set(key, id);
        survivor.identifiers.set(key, { type: i.type, source: i.source, value: i.value, lastSeen: seenAt, count: 1 });
      } else {
        held.lastSeen = Math.max(held.lastSeen, seenAt);
        held.count += 1;
      }
      const sighting = pending.sightings.get(key);
      if (sighting) {
        sighting.firstSeen = new Date(Math.min(sighting.firstSeen.getTime(), seenAt));
        sighting.lastSeen = new Date(Math.max(sighting.lastSeen.getTime(), seenAt));
        sighting.count += 1;
      } else {
        pending.sightings.set(key, { tenantId, ...i, customer360Id: id, firstSeen: new Date(seenAt), lastSeen: new Date(seenAt), count: 1 });
      }
    }

    const values = traitsOf(event);
    if (Object.keys(values).length) {
      survivor.history = recordValues(survivor.history, values);
      const traits = survive(survivor.history, await ctx.rulesOf(client, tenantId));
      if (!sameTraits(survivor.row.traits, traits)) changed = true;
      survivor.row.traits = traits;
      survivor.dirty = true;
    }
    // An event without traits that brings nothing new (a page view of a known visitor) leaves
    // the profile's row alone: no version, no write.
    if (changed) {
      survivor.row.version = String(Number(survivor.row.version) + 1);
      survivor.row.updated_at = now;
      survivor.dirty = true;
    }
    pending.links.push([tenantId, event.event_id, id, link.rule, link.confidence, JSON.stringify(link.linkEvidence)]);
    state.linked.add(eventKey(p));

    if (record) {
      const { id: _id, ...content } = record;
      pending.records.push([tenantId, id, recordFingerprint(record), JSON.stringify({ id: event.event_id, ...content }), event.event_id]);
      state.records.set(id, [...(state.records.get(id) ?? []), record]);
      for (const k of p.recordKeys) {
        pending.keys.push([tenantId, k, id]);
        const key = blockKey(tenantId, k);
        const block = state.blocks.get(key) ?? { count: 0, members: new Set<string>() };
        state.blocks.set(key, block);
        // Beyond the cap the members are not known (nor needed): the count alone says "too common".
        if (block.count <= ctx.maxBlockProfiles && !block.members.has(id)) {
          block.members.add(id);
          state.known.add(key + sep + id);
          block.count += 1;
        }
      }
      // Probable matches below the link threshold: suggested merges for review.
      for (const [candidate, score] of scores) {
        if (score.probability < matching!.linkThreshold && candidate !== id) {
          pending.reviews.push([tenantId, id, candidate, score.probability, JSON.stringify(score.contributions), event.event_id]);
        }
      }
    }
    if (consentOf(event)) pending.consent.push({ prepared: p, id });
    results.push({
      customer360Id: id,
      blockedReason,
      rule: link.rule,
      confidence: link.confidence,
      evidence: link.evidence,
      change: changed ? changeOfState(survivor, created ? 'created' : 'updated') : null,
    });
  }
  await guardLookAlikes(client, items, state, new Set(results.map((r) => r.customer360Id)), ctx);
  await writePending(client, state, pending);
  return results;
}

/**
 * Two look-alike records without a shared identifier (the same person typed into the CRM and at
 * the till) may be resolved at the same moment by two resolvers, each unaware of the other. So
 * before committing, the batch locks its usable blocking keys (one statement, sorted, held until
 * commit) and reads them again: a profile that another resolver put there since the batch read
 * them, with a record that scores at least the link threshold against one of the batch's, means
 * the batch was decided without it, and the batch starts over (a suggestion for review missed
 * this way is not worth a second attempt). Of two batches sharing a key, the
 * second to lock it sees the first's committed records; unrelated people under a common key cost
 * one extra read. The locks are held only for the batch's writes, not for the whole batch.
 */
async function guardLookAlikes(client: pg.PoolClient, items: PreparedEvent[], state: BatchState, ours: Set<string>, ctx: BatchContext): Promise<void> {
  const byKey = new Map<string, PreparedEvent[]>();
  for (const p of items) {
    if (!p.record) continue;
    for (const k of p.recordKeys) {
      const key = blockKey(p.event.tenant_id, k);
      const block = state.blocks.get(key);
      if (block && block.count > ctx.maxBlockProfiles) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), p]);
    }
  }
  if (byKey.size === 0) return;
  const keys = [...byKey.keys()].sort();
  await lockKeys(client, keys.map((k) => `block${sep}${k}`));
  const pairs = keys.map((k) => k.split(sep) as [string, string]);
  const { rows } = await client.query<{ tenant_id: string; key: string; customer360_id: string }>(
    `SELECT b.tenant_id, b.key, b.customer360_id FROM blocking_keys b
       JOIN unnest($1::text[], $2::text[]) AS q(t, k) ON b.tenant_id = q.t AND b.key = q.k`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  // Profiles this batch linked events to (merge survivors included) are its own doing, not newcomers.
  const newcomers = rows.filter(
    (r) => !state.known.has(blockKey(r.tenant_id, r.key) + sep + r.customer360_id) && !state.profiles.has(r.customer360_id) && !ours.has(r.customer360_id),
  );
  if (newcomers.length === 0) return;
  const records = await client.query<{ customer360_id: string; record: PersonRecord }>(
    `SELECT r.customer360_id, r.record FROM person_records r
       JOIN unnest($1::text[], $2::uuid[]) AS q(t, id) ON r.tenant_id = q.t AND r.customer360_id = q.id`,
    [newcomers.map((r) => r.tenant_id), newcomers.map((r) => r.customer360_id)],
  );
  const theirs = new Map<string, PersonRecord[]>();
  for (const r of records.rows) theirs.set(r.customer360_id, [...(theirs.get(r.customer360_id) ?? []), r.record]);
  for (const r of newcomers) {
    for (const p of byKey.get(blockKey(r.tenant_id, r.key)) ?? []) {
      const matching = await ctx.matchingOf(client, p.event.tenant_id);
      const score = scoreAgainst(p.record!, theirs.get(r.customer360_id) ?? [], matching);
      if (score && score.probability >= matching.linkThreshold) {
        throw new LookAlikeRaceError('a look-alike record was resolved meanwhile by another resolver');
      }
    }
  }
}

/**
 * The identifiers of an event that are still merge keys: a value shared by more profiles than
 * the tenant's limit for its type (the owner plus the profiles refused a merge with it) is
 * matched by the event's other evidence instead, and attached to nothing.
 */
export function usableIdentifiers(
  identifiers: Identifier[],
  tenantId: string,
  limits: Partial<Record<IdentifierType, number>>,
  sharersOf: (key: string) => number,
): Identifier[] {
  return identifiers.filter((i) => {
    const limit = limits[i.type];
    return limit === undefined || 1 + sharersOf(identifierKey(tenantId, i)) <= limit;
  });
}
