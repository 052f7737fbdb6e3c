/**
 * The identity graph in Postgres: profiles, identifiers, event links, merges, splits.
 *
 * Events are resolved in batches, one transaction per batch (batch.ts): advisory locks on the
 * batch's event IDs and identifiers serialize events of one person across resolvers, the
 * candidate profiles are locked FOR UPDATE, and look-alikes resolved meanwhile by another
 * resolver are checked under locks on the blocking keys before commit; if a candidate was merged
 * away meanwhile, a look-alike appeared, or Postgres finds a deadlock, the transaction starts over. An event that merges
 * profiles goes through resolveOnce below, inside the batch's transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { MatchedRule, ProfileChange, ProfileChangeKind, RawEvent } from '../schemas/types.ts';
import { identifierKey, type Identifier, type IdentifierType } from './identifiers.ts';
import { blockingKeys } from './fuzzy/blocking.ts';
import type { PairScore } from './fuzzy/model.ts';
import { DEFAULT_THRESHOLDS, loadTenantMatching } from './match/tenant-matching.ts';
import { recordFingerprint } from './fuzzy/of-event.ts';
import type { PersonRecord } from './fuzzy/person.ts';
import { mergeHistories, recordValues, subtractHistory, survive, type SurvivorshipRule, type TraitHistory } from './survivorship.ts';
import {
  allowedCandidates,
  blockedReasonOf,
  historyOfRow,
  linkOf,
  oldestFirst,
  pairKey,
  prepareEvent,
  sameTraits,
  scoreAgainst,
  fuzzyLinksOf,
  traitsOf,
  type PreparedEvent,
  type ProfileRow,
  type TenantMatching,
} from './decide.ts';
import { recordConsent, upsertIdentifiers } from './graph-writes.ts';
import { CandidateMovedError, LookAlikeRaceError, lockBatch, usableIdentifiers, resolveLockedBatch, type BatchContext } from './batch.ts';
export { consentOf } from './graph-writes.ts';
export { givenNamesConflict, type TenantMatching, type TraitValue } from './decide.ts';

export interface Resolution {
  customer360Id: string;
  /** Why profiles the event pointed at were not merged, when some were not. */
  blockedReason: string | null;
  rule: MatchedRule;
  confidence: number;
  evidence: Identifier[];
  /** The profile after the change; null when the event changed nothing (e.g. a redelivery). */
  change: ProfileChange | null;
}

export interface ProfileView {
  customer360_id: string;
  tenant_id: string;
  created_at: string;
  updated_at: string;
  version: number;
  auth_user_id: string | null;
  emails: string[];
  phones: string[];
  source_ids: Record<string, string[]>;
  anonymous_ids: string[];
  traits: Record<string, string>;
  merged_ids: string[];
  /** When the profile was soft-deleted (hidden from lookups, kept with its orders); null when active. */
  deleted_at: string | null;
  /** Current marketing consent per scope (the latest change by time). */
  consent: Record<string, { status: 'granted' | 'revoked'; policy_version: string | null; occurred_at: string; source: string; version: number }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A row of readView's statement. */
interface ViewRow {
  customer360_id: string;
  created_at: Date;
  updated_at: Date;
  version: string | number;
  traits: Record<string, { value: string }>;
  deleted_at: Date | null;
  /** [type, source, value], most recently seen first. */
  ids: [Identifier['type'], string, string][];
  consent: { scope: string; status: 'granted' | 'revoked'; policy_version: string | null; occurred_at: string; source: string; version: number }[];
  merged_ids: string[];
  summary: Record<string, unknown> | null;
}

const withoutSummary = ({ summary: _summary, ...view }: ProfileView & { summary: unknown }): ProfileView => view;

interface IdentifierRow {
  type: Identifier['type'];
  source: string;
  value: string;
  customer360_id: string;
}

class ProfileMovedError extends Error {
  readonly retriable = true;
}

export interface ConsentRecord {
  scope: string;
  status: 'granted' | 'revoked';
  version: number;
  policy_version: string | null;
  occurred_at: string;
  source: string;
  ip: string | null;
  event_type: string;
  event_id: string;
  reason: string | null;
  recorded_at: string;
}

async function exclusionsAmong(client: pg.PoolClient, tenantId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length < 2) return new Set();
  const { rows } = await client.query<{ profile_a: string; profile_b: string }>(
    'SELECT profile_a, profile_b FROM merge_exclusions WHERE tenant_id = $1 AND profile_a = ANY($2::uuid[]) AND profile_b = ANY($2::uuid[])',
    [tenantId, ids],
  );
  return new Set(rows.map((r) => pairKey(r.profile_a, r.profile_b)));
}

/** What a merge moves from each merged profile, kept in the audit so a split can put it back. */
interface Moved {
  identifiers: [string, string, string][];
  /** The merged profile's value history before the merge (merges audited before it was kept: none). */
  history?: TraitHistory;
  records: string[];
  consent: string[];
  /** Profiles merged into the merged one earlier, which now point at the survivor. */
  chain: string[];
}

async function whatMoves(client: pg.PoolClient, tenantId: string, mergedIds: string[]): Promise<Map<string, Moved>> {
  const moved = new Map<string, Moved>(mergedIds.map((id) => [id, { identifiers: [], records: [], consent: [], chain: [] }]));
  const q = (sql: string) => client.query(sql, [tenantId, mergedIds]);
  for (const r of (await q('SELECT customer360_id, type, source, value FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])')).rows) {
    moved.get(r.customer360_id)!.identifiers.push([r.type, r.source, r.value]);
  }
  for (const r of (await q('SELECT customer360_id, fingerprint FROM person_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])')).rows) {
    moved.get(r.customer360_id)!.records.push(r.fingerprint);
  }
  for (const r of (await q('SELECT customer360_id, event_id FROM consent_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])')).rows) {
    moved.get(r.customer360_id)!.consent.push(r.event_id);
  }
  for (const r of (await q('SELECT customer360_id, merged_into FROM profiles WHERE tenant_id = $1 AND merged_into = ANY($2::uuid[])')).rows) {
    moved.get(r.merged_into)!.chain.push(r.customer360_id);
  }
  return moved;
}

/** Numbers a profile's consent versions 1, 2, ... per scope in the order recorded (after a merge or a split). */
async function renumberConsent(client: pg.PoolClient, tenantId: string, customer360Id: string): Promise<void> {
  await client.query(
    `UPDATE consent_records c SET version = r.v
       FROM (SELECT event_id, row_number() OVER (PARTITION BY scope ORDER BY recorded_at, version, event_id)::int AS v
               FROM consent_records WHERE tenant_id = $1 AND customer360_id = $2) r
      WHERE c.tenant_id = $1 AND c.event_id = r.event_id AND c.version <> r.v`,
    [tenantId, customer360Id],
  );
}

export class SplitError extends Error {}

/** Without thresholds of its own, a tenant links at a probability of 0.99 and suggests reviews from 0.8. */
export const DEFAULT_MATCHING = DEFAULT_THRESHOLDS;

/** A blocking key shared by more profiles than this finds no candidates: too common to tell people apart. */
export const MAX_BLOCK_PROFILES = 200;

/**
 * The size guard: a merge that would leave one profile with more identifiers than this, or that
 * joins more than MAX_MERGE_PROFILES profiles at once, is refused: one person does not have a
 * hundred emails, and one event does not legitimately join a crowd. Refusals go to blocked_merges.
 */
export const MAX_PROFILE_IDENTIFIERS = 100;
export const MAX_MERGE_PROFILES = 10;
const MODEL_CACHE_MS = 30_000;
/** Profiles below which a tenant's matching snapshot is refreshed every second. */
const SMALL_TENANT = 20_000;

/** Identity settings of a tenant. */
export interface TenantSettings {
  /** ISO region of phones without a country code; null for the deployment's default. */
  defaultRegion: string | null;
  emailProviderRules: boolean;
  /**
   * How many profiles may share a value of each identifier type before it stops being a merge
   * key (the owner and the profiles refused a merge with it). Types left out have no limit.
   */
  sharingLimits: Partial<Record<IdentifierType, number>>;
}

/** Five profiles on one email, phone or anonymous ID: a household, not a shop's counter. */
export const DEFAULT_SHARING_LIMITS: Partial<Record<IdentifierType, number>> = { email: 5, phone: 5, anonymous_id: 5 };

export function createGraphStore(pool: pg.Pool) {
  const settingsCache = new Map<string, { settings: TenantSettings; until: number }>();
  const rulesCache = new Map<string, { rules: Record<string, SurvivorshipRule>; until: number }>();
  async function rulesOf(client: pg.PoolClient | pg.Pool, tenantId: string): Promise<Record<string, SurvivorshipRule>> {
    const hit = rulesCache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.rules;
    const { rows } = await client.query<{ rules: Record<string, SurvivorshipRule> }>('SELECT rules FROM survivorship_rules WHERE tenant_id = $1', [tenantId]);
    const rules = rows[0]?.rules ?? {};
    rulesCache.set(tenantId, { rules, until: Date.now() + MODEL_CACHE_MS });
    return rules;
  }
  // A tenant's frequencies, u and profile count, kept a while (a small tenant's only a second:
  // it grows fast, and the prior odds that a record is one of its profiles with it).
  const matchingCache = new Map<string, { matching: TenantMatching; until: number }>();
  async function matchingOf(client: pg.PoolClient, tenantId: string): Promise<TenantMatching> {
    const hit = matchingCache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.matching;
    const { rows } = await client.query<{ link_threshold: number; review_threshold: number }>(
      'SELECT link_threshold, review_threshold FROM match_models WHERE tenant_id = $1',
      [tenantId],
    );
    const thresholds = rows[0] ? { linkThreshold: rows[0].link_threshold, reviewThreshold: rows[0].review_threshold } : DEFAULT_THRESHOLDS;
    const matching = await loadTenantMatching(client, tenantId, thresholds);
    matchingCache.set(tenantId, { matching, until: Date.now() + (matching.entities < SMALL_TENANT ? 1000 : MODEL_CACHE_MS) });
    return matching;
  }

  /**
   * Profiles whose stored person records score at or above the review threshold against the
   * event's record, with the best score of each; candidates come from shared blocking keys.
   */
  async function fuzzyCandidates(client: pg.PoolClient, tenantId: string, record: PersonRecord, keys: string[]) {
    const matching = await matchingOf(client, tenantId);
    const { rows: ids } = await client.query<{ customer360_id: string }>(
      `SELECT DISTINCT b.customer360_id FROM blocking_keys b
         JOIN (SELECT key FROM blocking_keys WHERE tenant_id = $1 AND key = ANY($2::text[])
                GROUP BY key HAVING count(*) <= $3) usable ON usable.key = b.key
        WHERE b.tenant_id = $1`,
      [tenantId, keys, MAX_BLOCK_PROFILES],
    );
    const scores = new Map<string, PairScore>();
    if (ids.length === 0) return { matching, scores, recordsOf: (_id: string): PersonRecord[] => [] };
    const { rows } = await client.query<{ customer360_id: string; record: PersonRecord }>(
      'SELECT customer360_id, record FROM person_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])',
      [tenantId, ids.map((r) => r.customer360_id)],
    );
    const byProfile = new Map<string, PersonRecord[]>();
    for (const row of rows) byProfile.set(row.customer360_id, [...(byProfile.get(row.customer360_id) ?? []), row.record]);
    for (const [id, theirs] of byProfile) {
      const score = scoreAgainst(record, theirs, matching);
      if (score) scores.set(id, score);
    }
    return { matching, scores, recordsOf: (id: string) => byProfile.get(id) ?? [] };
  }

  /** Keeps the event's person record and its blocking keys with the profile. */
  async function rememberRecord(client: pg.PoolClient, tenantId: string, customer360Id: string, record: PersonRecord, keys: string[], eventId: string) {
    const { id: _id, ...content } = record;
    await client.query(
      `INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [tenantId, customer360Id, recordFingerprint(record), JSON.stringify({ id: eventId, ...content }), eventId],
    );
    await client.query(
      'INSERT INTO blocking_keys (tenant_id, key, customer360_id) SELECT $1, k, $2 FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING',
      [tenantId, customer360Id, keys],
    );
  }

  async function consentHistory(client: pg.PoolClient | pg.Pool, tenantId: string, id: string): Promise<ConsentRecord[]> {
    const { rows } = await client.query(
      `SELECT scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason, recorded_at
         FROM consent_records WHERE tenant_id = $1 AND customer360_id = $2 ORDER BY scope, occurred_at, version`,
      [tenantId, id],
    );
    return rows.map((r) => ({ ...r, occurred_at: r.occurred_at.toISOString(), recorded_at: r.recorded_at.toISOString() }));
  }

  const statementNames = new Map<string, string>();

  /**
   * A profile's view in one statement: its row, identifiers, current consent per scope, the
   * profiles merged into it and, with `summary`, the serving copy of its aggregates
   * (profile_summaries, written by enrich/). `start` selects one profile ID as `id` from $1 (the
   * tenant) and its own parameters; with `follow`, a merged-away profile answers its survivor.
   */
  async function readView(
    client: pg.PoolClient | pg.Pool,
    start: string,
    params: unknown[],
    options: { follow: boolean; summary: boolean },
  ): Promise<(ProfileView & { summary: Record<string, unknown> | null }) | null> {
    const text = `WITH start AS (${start}),
       cur AS (SELECT ${options.follow ? 'coalesce(p.merged_into, p.customer360_id)' : 'p.customer360_id'} AS id
               FROM profiles p JOIN start s ON p.tenant_id = $1 AND p.customer360_id = s.id)
       SELECT p.customer360_id, p.created_at, p.updated_at, p.version, p.traits, p.deleted_at,
         (SELECT coalesce(json_agg(json_build_array(i.type, i.source, i.value) ORDER BY i.last_seen DESC, i.seen_count DESC, i.value), '[]')
            FROM identifiers i WHERE i.tenant_id = $1 AND i.customer360_id = p.customer360_id) AS ids,
         (SELECT coalesce(json_agg(c ORDER BY c.scope), '[]') FROM (
            SELECT DISTINCT ON (scope) scope, status, policy_version, occurred_at, source, version FROM consent_records
             WHERE tenant_id = $1 AND customer360_id = p.customer360_id ORDER BY scope, occurred_at DESC, version DESC) c) AS consent,
         (SELECT coalesce(array_agg(m.customer360_id::text ORDER BY m.customer360_id), '{}') FROM profiles m
           WHERE m.tenant_id = $1 AND m.merged_into = p.customer360_id) AS merged_ids,
         ${options.summary ? '(SELECT s.aggregates FROM profile_summaries s WHERE s.tenant_id = $1 AND s.customer360_id = p.customer360_id)' : 'NULL::jsonb'} AS summary
       FROM cur JOIN profiles p ON p.tenant_id = $1 AND p.customer360_id = cur.id`;
    // A named statement: each connection parses and plans it once (the checkout lookup's hot path).
    let name = statementNames.get(text);
    if (!name) statementNames.set(text, (name = `profile_view_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`));
    const { rows } = await client.query<ViewRow>({ name, text, values: params });
    const row = rows[0];
    if (!row) return null;
    const of = (type: Identifier['type']) => row.ids.filter(([t]) => t === type).map(([, , value]) => value);
    const sourceIds: Record<string, string[]> = {};
    for (const [type, source, value] of row.ids) if (type === 'source_record_id') (sourceIds[source] ??= []).push(value);
    return {
      customer360_id: row.customer360_id,
      tenant_id: params[0] as string,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      version: Number(row.version),
      auth_user_id: of('auth_user_id')[0] ?? null,
      emails: of('email'),
      phones: of('phone'),
      anonymous_ids: of('anonymous_id'),
      source_ids: sourceIds,
      traits: Object.fromEntries(Object.entries(row.traits).map(([k, v]) => [k, v.value])),
      merged_ids: row.merged_ids,
      deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
      consent: Object.fromEntries(
        row.consent.map((c) => [
          c.scope,
          { status: c.status, policy_version: c.policy_version, occurred_at: new Date(c.occurred_at).toISOString(), source: c.source, version: Number(c.version) },
        ]),
      ),
      summary: row.summary,
    };
  }

  /**
   * The checkout lookup and the profile read: the current profile of an ID or of a normalized
   * identifier, with the serving copy of its aggregates (null until enrich/ has computed them),
   * in one statement.
   */
  async function readProfile(
    tenantId: string,
    by: { id: string } | { identifier: Identifier },
  ): Promise<(ProfileView & { summary: Record<string, unknown> | null }) | null> {
    if ('id' in by) {
      if (!UUID.test(by.id)) return null;
      return readView(pool, 'SELECT $2::uuid AS id', [tenantId, by.id], { follow: true, summary: true });
    }
    const { type, source, value } = by.identifier;
    return readView(
      pool,
      'SELECT customer360_id AS id FROM identifiers WHERE tenant_id = $1 AND type = $2 AND source = $3 AND value = $4',
      [tenantId, type, source, value],
      { follow: true, summary: true },
    );
  }

  async function snapshot(client: pg.PoolClient, tenantId: string, id: string): Promise<Omit<ProfileView, 'merged_ids'> | null> {
    return readView(client, 'SELECT $2::uuid AS id', [tenantId, id], { follow: false, summary: false });
  }

  async function mergedInto(client: pg.PoolClient | pg.Pool, tenantId: string, id: string): Promise<string[]> {
    const merged = await client.query<{ customer360_id: string }>(
      'SELECT customer360_id FROM profiles WHERE tenant_id = $1 AND merged_into = $2 ORDER BY customer360_id',
      [tenantId, id],
    );
    return merged.rows.map((r) => r.customer360_id);
  }

  async function changeOf(
    client: pg.PoolClient,
    tenantId: string,
    id: string,
    kind: ProfileChangeKind,
    mergedIds: string[],
  ): Promise<ProfileChange> {
    const view = (await snapshot(client, tenantId, id))!;
    return {
      change_id: randomUUID(),
      kind,
      tenant_id: tenantId,
      customer360_id: id,
      merged_ids: mergedIds,
      changed_at: Date.now(),
      version: view.version,
      emails: view.emails,
      phones: view.phones,
      auth_user_id: view.auth_user_id,
      source_ids: view.source_ids,
      traits: view.traits,
      created_at: new Date(view.created_at).getTime(),
      deleted: view.deleted_at !== null,
    };
  }

  /**
   * Resolves one event with queries of its own: merges (exclusions, the size guard, what moves)
   * and redeliveries. The caller holds the event's locks (lockBatch).
   */
  async function resolveOnce(client: pg.PoolClient, prepared: PreparedEvent): Promise<Resolution> {
    const { event, record, recordKeys } = prepared;
    const tenantId = event.tenant_id;

    const linked = await client.query<{ customer360_id: string; rule: MatchedRule; confidence: number; merged_into: string | null }>(
      `SELECT l.customer360_id, l.rule, l.confidence, p.merged_into FROM event_links l
       JOIN profiles p ON p.tenant_id = l.tenant_id AND p.customer360_id = l.customer360_id
       WHERE l.tenant_id = $1 AND l.event_id = $2`,
      [tenantId, event.event_id],
    );
    const previous = linked.rows[0];
    if (previous) {
      // A redelivery changes nothing; the profile's current state is published again, in case
      // the first delivery's output was lost with an interrupted batch.
      const current = previous.merged_into ?? previous.customer360_id;
      const merged = await mergedInto(client, tenantId, current);
      return {
        customer360Id: current,
        blockedReason: null,
        rule: previous.rule,
        confidence: previous.confidence,
        evidence: [],
        change: await changeOf(client, tenantId, current, merged.length ? 'merged' : 'updated', merged),
      };
    }

    // Identifiers shared by more profiles than the tenant allows are no merge keys.
    const all = prepared.identifiers;
    const sharing = all.length
      ? (
          await client.query<{ type: IdentifierType; source: string; value: string; n: number }>(
            `SELECT s.type, s.source, s.value, count(*)::int AS n FROM identifier_sharers s
               JOIN unnest($2::text[], $3::text[], $4::text[]) AS q(type, source, value)
                 ON s.type = q.type AND s.source = q.source AND s.value = q.value
              WHERE s.tenant_id = $1 GROUP BY 1, 2, 3`,
            [tenantId, all.map((i) => i.type), all.map((i) => i.source), all.map((i) => i.value)],
          )
        ).rows
      : [];
    const sharersOf = new Map(sharing.map((r) => [identifierKey(tenantId, r), r.n]));
    const identifiers = usableIdentifiers(all, tenantId, (await settingsOf(tenantId, client)).sharingLimits, (key) => sharersOf.get(key) ?? 0);
    const owned = identifiers.length
      ? (
          await client.query<IdentifierRow>(
            `SELECT i.type, i.source, i.value, i.customer360_id FROM identifiers i
             JOIN unnest($2::text[], $3::text[], $4::text[]) AS q(type, source, value)
               ON i.type = q.type AND i.source = q.source AND i.value = q.value
             WHERE i.tenant_id = $1`,
            [tenantId, identifiers.map((i) => i.type), identifiers.map((i) => i.source), identifiers.map((i) => i.value)],
          )
        ).rows
      : [];
    const fuzzy = record ? await fuzzyCandidates(client, tenantId, record, recordKeys) : null;
    const fuzzyLinks = fuzzy ? fuzzyLinksOf(fuzzy.scores, fuzzy.recordsOf, fuzzy.matching) : new Map<string, PairScore>();
    const candidateIds = [...new Set([...owned.map((o) => o.customer360_id), ...fuzzyLinks.keys()])].sort();
    const candidates = candidateIds.length
      ? (
          await client.query<ProfileRow>(
            `SELECT customer360_id, created_at, updated_at, version, merged_into, traits, trait_history FROM profiles
             WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY customer360_id FOR UPDATE`,
            [tenantId, candidateIds],
          )
        ).rows
      : [];
    if (candidates.some((c) => c.merged_into !== null) || candidates.length !== candidateIds.length) {
      throw new ProfileMovedError('a candidate profile was merged meanwhile');
    }
    const authOf = new Map<string, string>();
    if (candidateIds.length) {
      const auth = await client.query<{ customer360_id: string; value: string }>(
        `SELECT customer360_id, value FROM identifiers WHERE tenant_id = $1 AND type = 'auth_user_id' AND customer360_id = ANY($2::uuid[])`,
        [tenantId, candidateIds],
      );
      for (const row of auth.rows) authOf.set(row.customer360_id, row.value);
    }

    const ownerOf = (i: Identifier) => owned.find((o) => o.type === i.type && o.source === i.source && o.value === i.value)?.customer360_id;
    const { anchorAuth, allowed } = allowedCandidates({ event, identifiers, candidates, ownerOf, authOf, fuzzyLinks });
    // Profiles a person split apart are never merged again automatically: oldest first, a profile
    // joins only when it is not excluded with one already joining.
    const excluded = await exclusionsAmong(client, tenantId, allowed.map((c) => c.customer360_id));
    const compatible: ProfileRow[] = [];
    for (const c of [...allowed].sort(oldestFirst)) {
      if (!compatible.some((k) => excluded.has(pairKey(k.customer360_id, c.customer360_id)))) compatible.push(c);
    }
    // The size guard: beyond it, only the oldest profile takes the event; nothing merges.
    let sizeGuard = false;
    if (compatible.length > 1) {
      const { rows: sizes } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])',
        [tenantId, compatible.map((c) => c.customer360_id)],
      );
      if (compatible.length > MAX_MERGE_PROFILES || sizes[0]!.n + identifiers.length > MAX_PROFILE_IDENTIFIERS) {
        sizeGuard = true;
        compatible.splice(1);
      }
    }
    const blocked = candidates.filter((c) => !compatible.includes(c));
    const blockedReason = blockedReasonOf({ blocked, allowed, authOf, anchorAuth, sizeGuard });
    const now = new Date();
    let kind: ProfileChangeKind = 'updated';
    let survivor: ProfileRow;
    let mergedIds: string[] = [];

    if (compatible.length === 0) {
      kind = 'created';
      survivor = { customer360_id: randomUUID(), created_at: now, updated_at: now, version: '0', merged_into: null, traits: {} };
      await client.query(
        'INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, traits) VALUES ($1, $2, $3, $3, 0, $4)',
        [tenantId, survivor.customer360_id, now, {}],
      );
    } else {
      const ordered = [...compatible].sort(oldestFirst);
      survivor = ordered[0]!;
      mergedIds = ordered.slice(1).map((p) => p.customer360_id);
    }

    const { rule, confidence, evidence, linkEvidence } = linkOf({
      created: kind === 'created',
      identifiers,
      ownerOf,
      joining: new Set(compatible.map((c) => c.customer360_id)),
      fuzzyLinks,
    });
    let history = historyOfRow(survivor);
    let changed = kind === 'created';

    if (mergedIds.length) {
      kind = 'merged';
      changed = true;
      for (const merged of compatible.filter((c) => mergedIds.includes(c.customer360_id))) history = mergeHistories(history, historyOfRow(merged));
      const moved = await whatMoves(client, tenantId, mergedIds);
      for (const merged of compatible.filter((c) => mergedIds.includes(c.customer360_id))) moved.get(merged.customer360_id)!.history = historyOfRow(merged);
      for (const table of ['identifiers', 'consent_records', 'person_records']) {
        await client.query(`UPDATE ${table} SET customer360_id = $2 WHERE tenant_id = $1 AND customer360_id = ANY($3::uuid[])`, [
          tenantId,
          survivor.customer360_id,
          mergedIds,
        ]);
      }
      await client.query(
        `UPDATE profiles SET merged_into = $2, updated_at = $4
         WHERE tenant_id = $1 AND (customer360_id = ANY($3::uuid[]) OR merged_into = ANY($3::uuid[]))`,
        [tenantId, survivor.customer360_id, mergedIds, now],
      );
      await client.query(
        `INSERT INTO blocking_keys (tenant_id, key, customer360_id)
         SELECT tenant_id, key, $2 FROM blocking_keys WHERE tenant_id = $1 AND customer360_id = ANY($3::uuid[])
         ON CONFLICT DO NOTHING`,
        [tenantId, survivor.customer360_id, mergedIds],
      );
      await client.query('DELETE FROM blocking_keys WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, mergedIds]);
      // The merged profiles' shares of other profiles' identifiers become the survivor's (once
      // each; none of an identifier the survivor now owns).
      await client.query(
        `INSERT INTO identifier_sharers (tenant_id, type, source, value, customer360_id, first_seen)
         SELECT s.tenant_id, s.type, s.source, s.value, $2, s.first_seen FROM identifier_sharers s
          WHERE s.tenant_id = $1 AND s.customer360_id = ANY($3::uuid[])
            AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.tenant_id = s.tenant_id AND i.type = s.type AND i.source = s.source AND i.value = s.value AND i.customer360_id = $2)
         ON CONFLICT DO NOTHING`,
        [tenantId, survivor.customer360_id, mergedIds],
      );
      await client.query('DELETE FROM identifier_sharers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, mergedIds]);
      // The merged consent histories become one: versions renumbered per scope in the order recorded.
      await renumberConsent(client, tenantId, survivor.customer360_id);
      for (const merged of mergedIds) {
        await client.query(
          'INSERT INTO profile_merges (tenant_id, survivor_id, merged_id, event_id, rule, evidence, moved) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [tenantId, survivor.customer360_id, merged, event.event_id, rule, JSON.stringify(linkEvidence), JSON.stringify(moved.get(merged))],
        );
      }
    }
    if (blocked.length) {
      const shared = identifiers.filter((i) => blocked.some((b) => b.customer360_id === ownerOf(i)));
      if (shared.length) {
        await client.query(
          `INSERT INTO identifier_sharers (tenant_id, type, source, value, customer360_id)
           SELECT $1, t, s, v, $2 FROM unnest($3::text[], $4::text[], $5::text[]) AS q(t, s, v) ON CONFLICT DO NOTHING`,
          [tenantId, survivor.customer360_id, shared.map((i) => i.type), shared.map((i) => i.source), shared.map((i) => i.value)],
        );
      }
      await client.query('INSERT INTO blocked_merges (tenant_id, profile_ids, event_id, reason) VALUES ($1, $2, $3, $4)', [
        tenantId,
        [survivor.customer360_id, ...blocked.map((b) => b.customer360_id)],
        event.event_id,
        blockedReason,
      ]);
    }

    // Attach the event's identifiers that no incompatible profile owns.
    const attach = identifiers.filter((i) => {
      const owner = ownerOf(i);
      return owner === undefined || !blocked.some((b) => b.customer360_id === owner);
    });
    if (attach.some((i) => ownerOf(i) === undefined)) changed = true;
    if (attach.length) {
      const seenAt = new Date(event.occurred_at);
      await upsertIdentifiers(
        client,
        attach.map((i) => ({ tenantId, ...i, customer360Id: survivor.customer360_id, firstSeen: seenAt, lastSeen: seenAt, count: 1 })),
      );
    }

    history = recordValues(history, traitsOf(event));
    const updatedTraits = survive(history, await rulesOf(client, tenantId));
    if (!sameTraits(survivor.traits, updatedTraits)) changed = true;
    const version = Number(survivor.version) + (changed ? 1 : 0);
    await client.query(
      'UPDATE profiles SET traits = $3, trait_history = $7, version = $4, updated_at = CASE WHEN $5 THEN $6 ELSE updated_at END WHERE tenant_id = $1 AND customer360_id = $2',
      [tenantId, survivor.customer360_id, JSON.stringify(updatedTraits), version, changed, now, JSON.stringify(history)],
    );
    await client.query(
      'INSERT INTO event_links (tenant_id, event_id, customer360_id, rule, confidence, evidence) VALUES ($1, $2, $3, $4, $5, $6)',
      [tenantId, event.event_id, survivor.customer360_id, rule, confidence, JSON.stringify(linkEvidence)],
    );
    if (record) {
      await rememberRecord(client, tenantId, survivor.customer360_id, record, recordKeys, event.event_id);
      // Probable matches below the link threshold: suggested merges for review.
      const reviews = [...(fuzzy?.scores ?? [])].filter(([id, score]) => score.probability < fuzzy!.matching.linkThreshold && id !== survivor.customer360_id && !mergedIds.includes(id));
      for (const [candidateId, score] of reviews) {
        await client.query(
          'INSERT INTO match_reviews (tenant_id, customer360_id, candidate_id, probability, evidence, event_id) VALUES ($1, $2, $3, $4, $5, $6)',
          [tenantId, survivor.customer360_id, candidateId, score.probability, JSON.stringify(score.contributions), event.event_id],
        );
      }
    }

    await recordConsent(client, event, survivor.customer360_id);

    const change = changed ? await changeOf(client, tenantId, survivor.customer360_id, kind, mergedIds) : null;
    return { customer360Id: survivor.customer360_id, blockedReason, rule, confidence, evidence, change };
  }

  /** A tenant's identity settings (cached for 30 s). */
  async function settingsOf(tenantId: string, client: pg.PoolClient | pg.Pool = pool): Promise<TenantSettings> {
    const hit = settingsCache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.settings;
    const { rows } = await client.query<{ default_region: string | null; email_provider_rules: boolean; identifier_sharing_limits: TenantSettings['sharingLimits'] | null }>(
      'SELECT default_region, email_provider_rules, identifier_sharing_limits FROM tenant_settings WHERE tenant_id = $1',
      [tenantId],
    );
    const settings = {
      defaultRegion: rows[0]?.default_region ?? null,
      emailProviderRules: rows[0]?.email_provider_rules ?? false,
      sharingLimits: rows[0]?.identifier_sharing_limits ?? DEFAULT_SHARING_LIMITS,
    };
    settingsCache.set(tenantId, { settings, until: Date.now() + MODEL_CACHE_MS });
    return settings;
  }

  const batchContext: BatchContext = {
    rulesOf,
    matchingOf,
    resolveOne: resolveOnce,
    maxBlockProfiles: MAX_BLOCK_PROFILES,
    sharingLimitsOf: async (client, tenantId) => (await settingsOf(tenantId, client)).sharingLimits,
  };
  let lockBudgetValue: number | null = null;
  /**
   * How many advisory lock keys one batch transaction may take: an eighth of the server's lock
   * table (max_locks_per_transaction x connections), so several resolvers and the other work of
   * the server fit beside each other; at most 5,000.
   */
  async function lockBudget(): Promise<number> {
    if (lockBudgetValue === null) {
      const { rows } = await pool.query<{ slots: number }>(
        `SELECT current_setting('max_locks_per_transaction')::int
                * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int) AS slots`,
      );
      lockBudgetValue = Math.max(64, Math.min(5_000, Math.floor(rows[0]!.slots / 8)));
    }
    return lockBudgetValue;
  }

  return {
    /**
     * Links one event to a profile, creating or merging profiles as the rules say. The commit
     * does not wait for the disk: call flush() before anything acts on the resolution.
     */
    async resolve(event: RawEvent, identifiers: Identifier[]): Promise<Resolution> {
      return (await this.resolveBatch([{ event, identifiers }]))[0]!;
    },

    /**
     * Links a batch of events, in order, with a few queries per batch (see batch.ts). A batch
     * whose lock keys exceed what Postgres's lock table can hold is resolved in parts, each in
     * its own transaction. A transaction that meets a candidate merged meanwhile or a deadlock
     * starts over. The commits do not wait for the disk: call flush() before acting on them.
     */
    async resolveBatch(items: { event: RawEvent; identifiers: Identifier[] }[]): Promise<Resolution[]> {
      const prepared = items.map((i) => prepareEvent(i.event, i.identifiers));
      const budget = await lockBudget();
      const weightOf = (p: PreparedEvent) => p.lockKeys.length + p.recordKeys.length;
      const results: Resolution[] = [];
      const client = await pool.connect();
      try {
        for (let from = 0; from < prepared.length; ) {
          let to = from;
          let keys = 0;
          while (to < prepared.length && (to === from || keys + weightOf(prepared[to]!) <= budget)) keys += weightOf(prepared[to++]!);
          const part = prepared.slice(from, to);
          for (let attempt = 1; ; attempt++) {
            // One round trip: the transaction and its commit mode.
            await client.query('BEGIN; SET LOCAL synchronous_commit = off');
            try {
              // First optimistically (blocking keys locked only for the writes), then, after a
              // look-alike race or a deadlock, with the blocking keys locked for the whole batch.
              await lockBatch(client, part, { blockingKeys: attempt > 1, maxBlockProfiles: MAX_BLOCK_PROFILES });
              const resolved = await resolveLockedBatch(client, part, batchContext);
              await client.query('COMMIT');
              results.push(...resolved);
              break;
            } catch (error) {
              await client.query('ROLLBACK').catch(() => undefined);
              const retriable = error instanceof ProfileMovedError || error instanceof CandidateMovedError || error instanceof LookAlikeRaceError || (error as { code?: string }).code === '40P01';
              if (!retriable || attempt >= 10) throw error;
              await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
            }
          }
          from = to;
        }
        return results;
      } finally {
        client.release();
      }
    },

    /**
     * Makes every resolution committed so far durable: a transaction that commits synchronously
     * flushes the write-ahead log up to its own commit record, which covers all earlier ones.
     * One flush per batch instead of one disk wait per event.
     */
    async flush(): Promise<void> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL synchronous_commit = on');
        await client.query('SELECT pg_current_xact_id()');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },

    /**
     * Soft-deletes (or restores, with `deleted` false) the profile of an ID: hidden from lookups,
     * customer360 and segments, kept with its identifiers and orders. Returns the change to
     * publish; null when there is no such profile.
     */
    async setDeleted(tenantId: string, customer360Id: string, deleted: boolean): Promise<ProfileChange | null> {
      const profile = await this.profileById(tenantId, customer360Id);
      if (!profile) return null;
      const client = await pool.connect();
      try {
        await client.query(
          `UPDATE profiles SET deleted_at = CASE WHEN $3 THEN coalesce(deleted_at, now()) END, version = version + 1, updated_at = now()
            WHERE tenant_id = $1 AND customer360_id = $2`,
          [tenantId, profile.customer360_id, deleted],
        );
        return await changeOf(client, tenantId, profile.customer360_id, 'updated', []);
      } finally {
        client.release();
      }
    },

    /** The current profile of an ID; a merged-away ID answers its survivor. */
    async profileById(tenantId: string, customer360Id: string): Promise<ProfileView | null> {
      const view = await readProfile(tenantId, { id: customer360Id });
      return view && withoutSummary(view);
    },

    readProfile,

    /**
     * Splits a merged-away profile off its survivor, from the audit of the merge: the profile is
     * active again with the identifiers, person records and consent records it brought, and the
     * pair is never merged again automatically. Events linked to it before the merge are its
     * own again; identifiers first seen after the merge stay with the survivor. The restored
     * profile's traits are what it had before the merge; the survivor gives back the values the
     * merged profile brought (counts subtracted) and keeps everything seen since, then both
     * survive their fields again. Returns the changes of both profiles, to publish.
     */
    async split(tenantId: string, survivorId: string, mergedId: string, reason: string | null): Promise<ProfileChange[]> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const ids = [survivorId, mergedId].sort();
        const locked = await client.query<ProfileRow>(
          `SELECT customer360_id, created_at, updated_at, version, merged_into, traits, trait_history FROM profiles
            WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY customer360_id FOR UPDATE`,
          [tenantId, ids],
        );
        const survivor = locked.rows.find((r) => r.customer360_id === survivorId);
        if (!survivor || !locked.rows.some((r) => r.customer360_id === mergedId)) throw new SplitError('no such profile');
        if (survivor.merged_into !== null) throw new SplitError(`${survivorId} was itself merged into ${survivor.merged_into}; split it from there`);
        const merge = await client.query<{ id: string; moved: Moved }>(
          `SELECT id, moved FROM profile_merges WHERE tenant_id = $1 AND survivor_id = $2 AND merged_id = $3 AND split_at IS NULL
           ORDER BY merged_at DESC LIMIT 1`,
          [tenantId, survivorId, mergedId],
        );
        const row = merge.rows[0];
        if (!row) throw new SplitError(`${mergedId} is not merged into ${survivorId}`);
        // Merges recorded before the audit kept what moved bring nothing back but the profile itself.
        const moved: Moved = { ...{ identifiers: [], records: [], consent: [], chain: [] }, ...(row.moved as Partial<Moved>) };
        const now = new Date();
        await client.query('UPDATE profiles SET merged_into = NULL, version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND customer360_id = $2', [tenantId, mergedId, now]);
        await client.query('UPDATE profiles SET merged_into = $2 WHERE tenant_id = $1 AND customer360_id = ANY($3::uuid[]) AND merged_into = $4', [tenantId, mergedId, moved.chain, survivorId]);
        await client.query('UPDATE profiles SET version = version + 1, updated_at = $3 WHERE tenant_id = $1 AND customer360_id = $2', [tenantId, survivorId, now]);
        if (moved.history) {
          // Traits split back (merges audited before histories were kept leave them with the survivor).
          const rules = await rulesOf(client, tenantId);
          const survivorHistory = subtractHistory(historyOfRow(survivor), moved.history);
          for (const [id, history] of [[survivorId, survivorHistory], [mergedId, moved.history]] as const) {
            await client.query('UPDATE profiles SET traits = $3, trait_history = $4 WHERE tenant_id = $1 AND customer360_id = $2', [
              tenantId,
              id,
              JSON.stringify(survive(history, rules)),
              JSON.stringify(history),
            ]);
          }
        }
        if (moved.identifiers.length) {
          await client.query(
            `UPDATE identifiers i SET customer360_id = $2 FROM unnest($4::text[], $5::text[], $6::text[]) AS m(type, source, value)
              WHERE i.tenant_id = $1 AND i.customer360_id = $3 AND i.type = m.type AND i.source = m.source AND i.value = m.value`,
            [tenantId, mergedId, survivorId, moved.identifiers.map((i) => i[0]), moved.identifiers.map((i) => i[1]), moved.identifiers.map((i) => i[2])],
          );
        }
        await client.query('UPDATE person_records SET customer360_id = $2 WHERE tenant_id = $1 AND customer360_id = $3 AND fingerprint = ANY($4::text[])', [tenantId, mergedId, survivorId, moved.records]);
        await client.query('UPDATE consent_records SET customer360_id = $2 WHERE tenant_id = $1 AND customer360_id = $3 AND event_id = ANY($4::text[])', [tenantId, mergedId, survivorId, moved.consent]);
        // Blocking keys and consent versions of both, from what each holds now.
        await client.query('DELETE FROM blocking_keys WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids]);
        const records = await client.query<{ customer360_id: string; record: PersonRecord }>(
          'SELECT customer360_id, record FROM person_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])',
          [tenantId, ids],
        );
        for (const r of records.rows) {
          await client.query('INSERT INTO blocking_keys (tenant_id, key, customer360_id) SELECT $1, k, $2 FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING', [
            tenantId,
            r.customer360_id,
            blockingKeys(r.record),
          ]);
        }
        for (const id of ids) await renumberConsent(client, tenantId, id);
        await client.query('UPDATE profile_merges SET split_at = $2 WHERE id = $1', [row.id, now]);
        await client.query('INSERT INTO profile_splits (tenant_id, survivor_id, restored_id, merge_id, reason) VALUES ($1, $2, $3, $4, $5)', [tenantId, survivorId, mergedId, row.id, reason]);
        await client.query('INSERT INTO merge_exclusions (tenant_id, profile_a, profile_b) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [tenantId, ids[0], ids[1]]);
        const changes = [await changeOf(client, tenantId, survivorId, 'split', [mergedId]), await changeOf(client, tenantId, mergedId, 'split', [survivorId])];
        await client.query('COMMIT');
        return changes;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    /** A tenant's identity settings (cached for 30 s). */
    async tenantSettings(tenantId: string): Promise<TenantSettings> {
      return settingsOf(tenantId);
    },

    async setTenantSettings(tenantId: string, settings: TenantSettings): Promise<void> {
      await pool.query(
        `INSERT INTO tenant_settings (tenant_id, default_region, email_provider_rules, identifier_sharing_limits) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET default_region = EXCLUDED.default_region, email_provider_rules = EXCLUDED.email_provider_rules,
           identifier_sharing_limits = EXCLUDED.identifier_sharing_limits, updated_at = now()`,
        [tenantId, settings.defaultRegion, settings.emailProviderRules, JSON.stringify(settings.sharingLimits)],
      );
      settingsCache.delete(tenantId);
    },

    /** The survivorship rules of a tenant (fields without one: most_recent). */
    async survivorshipRules(tenantId: string): Promise<Record<string, SurvivorshipRule>> {
      rulesCache.delete(tenantId);
      return rulesOf(pool, tenantId);
    },

    /** Sets the survivorship rules of a tenant; profiles take them at their next change. */
    async setSurvivorshipRules(tenantId: string, rules: Record<string, SurvivorshipRule>): Promise<void> {
      await pool.query(
        `INSERT INTO survivorship_rules (tenant_id, rules) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules, updated_at = now()`,
        [tenantId, JSON.stringify(rules)],
      );
      rulesCache.delete(tenantId);
    },

    /** Refused merges and suggested matches of a tenant, newest first: what a person should look at. */
    async reviewQueue(tenantId: string, limit = 100) {
      const blocked = await pool.query(
        'SELECT profile_ids, event_id, reason, blocked_at FROM blocked_merges WHERE tenant_id = $1 ORDER BY blocked_at DESC LIMIT $2',
        [tenantId, limit],
      );
      const suggested = await pool.query(
        `SELECT customer360_id, candidate_id, probability, evidence, event_id, created_at FROM match_reviews
          WHERE tenant_id = $1 AND status = 'open' ORDER BY created_at DESC LIMIT $2`,
        [tenantId, limit],
      );
      // Values several profiles present (the owner and those refused a merge with it), most shared first.
      const shared = await pool.query(
        `SELECT s.type, s.source, s.value, i.customer360_id AS owner_id, 1 + count(*)::int AS profiles, max(s.first_seen) AS last_shared_at
           FROM identifier_sharers s
           JOIN identifiers i ON i.tenant_id = s.tenant_id AND i.type = s.type AND i.source = s.source AND i.value = s.value
          WHERE s.tenant_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY profiles DESC, last_shared_at DESC LIMIT $2`,
        [tenantId, limit],
      );
      const limits = (await settingsOf(tenantId)).sharingLimits;
      return {
        blocked_merges: blocked.rows.map((r) => ({ ...r, blocked_at: r.blocked_at.toISOString() })),
        suggested_matches: suggested.rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })),
        shared_identifiers: shared.rows.map((r) => ({
          ...r,
          last_shared_at: r.last_shared_at.toISOString(),
          limit: limits[r.type as IdentifierType] ?? null,
          merge_key: (limits[r.type as IdentifierType] ?? Infinity) >= r.profiles,
        })),
      };
    },

    /** The merges of a profile (as survivor), with what each brought and whether it was split. */
    async mergesOf(tenantId: string, customer360Id: string) {
      const { rows } = await pool.query(
        `SELECT merged_id, rule, evidence, event_id, merged_at, split_at FROM profile_merges
          WHERE tenant_id = $1 AND survivor_id = $2 ORDER BY merged_at`,
        [tenantId, customer360Id],
      );
      return rows.map((r) => ({ ...r, merged_at: r.merged_at.toISOString(), split_at: r.split_at ? r.split_at.toISOString() : null }));
    },

    /** Every version of the consent of a profile (of its survivor, for a merged-away ID), oldest first per scope. */
    async consentHistory(tenantId: string, customer360Id: string): Promise<ConsentRecord[] | null> {
      const profile = await this.profileById(tenantId, customer360Id);
      return profile ? consentHistory(pool, tenantId, profile.customer360_id) : null;
    },

    /** The profile owning a normalized identifier. */
    async profileByIdentifier(tenantId: string, identifier: Identifier): Promise<ProfileView | null> {
      const view = await readProfile(tenantId, { identifier });
      return view && withoutSummary(view);
    },
  };
}

export type GraphStore = ReturnType<typeof createGraphStore>;
