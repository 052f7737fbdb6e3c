/**
 * The identity graph in Postgres: profiles, identifiers, event links, merges, splits, consent,
 * settings and the review queue, as the API reads and changes them. Events are resolved by the
 * identity engine (state/identity-engine.ts), which holds each tenant's graph in memory and
 * writes behind once per batch; every other change of the graph here (a split, a soft delete)
 * moves the tenant's epoch, so the engine builds that tenant's state again before it writes.
 */
import type pg from 'pg';
import { SOURCES, type ProfileChange, type ProfileChangeKind, type RawEvent, type Source } from '../schemas/types.ts';
import type { Identifier, IdentifierType } from './identifiers.ts';
import { DEFAULT_THRESHOLDS } from './match/tenant-matching.ts';
import type { SurvivorshipRule } from './survivorship.ts';
import { profileChange } from './profile-change.ts';
import { readView, withoutSummary, type ProfileView, type ProfileWithSummary } from './profile-view.ts';
import type { Resolution } from './resolution.ts';
import { splitProfile } from './split-profile.ts';
import { createIdentityEngine } from './state/identity-engine.ts';
import { bumpEpoch } from './state/load-tenant.ts';
export { consentOf } from './graph-writes.ts';
export { givenNamesConflict, type TraitValue } from './decide.ts';
export { SplitError } from './split-profile.ts';
export { MAX_MERGE_PROFILES, MAX_PROFILE_IDENTIFIERS } from './state/resolve-event.ts';
export type { ProfileView, Resolution };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** Without thresholds of its own, a tenant links at a probability of 0.99 and suggests reviews from 0.8. */
export const DEFAULT_MATCHING = DEFAULT_THRESHOLDS;
const MODEL_CACHE_MS = 30_000;

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
  /**
   * The systems of record, most trusted first, every source once: a profile's primary source
   * is the first of them it has events from (enrich/). Set with a part of them, the others
   * follow in the default order.
   */
  sourcePriority: Source[];
}

/** The CRM, then the point of sale, then messaging, then web tracking. */
export const DEFAULT_SOURCE_PRIORITY: readonly Source[] = Object.freeze(['crm', 'pos', 'messaging', 'web']);

/** A priority completed: its sources in its order (unknown names and repeats dropped), then those it leaves out in the default order. */
const completePriority = (priority: readonly string[] | null | undefined): Source[] =>
  [...new Set([...(priority ?? []).filter((s): s is Source => (SOURCES as readonly string[]).includes(s)), ...DEFAULT_SOURCE_PRIORITY])];

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
  async function consentHistory(client: pg.PoolClient | pg.Pool, tenantId: string, id: string): Promise<ConsentRecord[]> {
    const { rows } = await client.query(
      `SELECT scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason, recorded_at
         FROM consent_records WHERE tenant_id = $1 AND customer360_id = $2 ORDER BY scope, occurred_at, version`,
      [tenantId, id],
    );
    return rows.map((r) => ({ ...r, occurred_at: r.occurred_at.toISOString(), recorded_at: r.recorded_at.toISOString() }));
  }

  /**
   * The checkout lookup and the profile read: the current profile of an ID or of a normalized
   * identifier, with the serving copy of its aggregates (null until enrich/ has computed them),
   * in one statement.
   */
  async function readProfile(
    tenantId: string,
    by: { id: string } | { identifier: Identifier },
  ): Promise<ProfileWithSummary | null> {
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

  async function snapshot(client: pg.PoolClient | pg.Pool, tenantId: string, id: string) {
    return readView(client, 'SELECT $2::uuid AS id', [tenantId, id], { follow: false, summary: false });
  }

  async function changeOf(client: pg.PoolClient | pg.Pool, tenantId: string, id: string, kind: ProfileChangeKind, mergedIds: string[]): Promise<ProfileChange> {
    const view = (await snapshot(client, tenantId, id))!;
    return profileChange({
      tenantId,
      customer360Id: id,
      kind,
      mergedIds,
      version: view.version,
      createdAt: new Date(view.created_at).getTime(),
      contact: view,
      traits: view.traits,
      deleted: view.deleted_at !== null,
      crm: {
        tags: view.tags,
        crm_status: view.crm_status,
        crm_lifecycle_stage: view.crm_lifecycle_stage,
        crm_lifecycle_changed_at: view.crm_lifecycle_changed_at === null ? null : Date.parse(view.crm_lifecycle_changed_at),
      },
    });
  }

  /** A tenant's identity settings (cached for 30 s). */
  async function settingsOf(tenantId: string, client: pg.PoolClient | pg.Pool = pool): Promise<TenantSettings> {
    const hit = settingsCache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.settings;
    const { rows } = await client.query<{ default_region: string | null; email_provider_rules: boolean; identifier_sharing_limits: TenantSettings['sharingLimits'] | null; source_priority: string[] | null }>(
      'SELECT default_region, email_provider_rules, identifier_sharing_limits, source_priority FROM tenant_settings WHERE tenant_id = $1',
      [tenantId],
    );
    const settings = {
      defaultRegion: rows[0]?.default_region ?? null,
      emailProviderRules: rows[0]?.email_provider_rules ?? false,
      sharingLimits: rows[0]?.identifier_sharing_limits ?? DEFAULT_SHARING_LIMITS,
      sourcePriority: completePriority(rows[0]?.source_priority),
    };
    settingsCache.set(tenantId, { settings, until: Date.now() + MODEL_CACHE_MS });
    return settings;
  }

  const engine = createIdentityEngine({
    pool,
    sharingLimitsOf: async (tenantId) => (await settingsOf(tenantId)).sharingLimits,
    rulesOf: (tenantId) => rulesOf(pool, tenantId),
  });

  return {
    /** Links one event to a profile (see resolveBatch). */
    async resolve(event: RawEvent, identifiers: Identifier[]): Promise<Resolution> {
      return (await engine.resolveBatch([{ event, identifiers }]))[0]!;
    },

    /**
     * Links a batch of events to profiles, in order, creating, merging or refusing as the rules
     * say: against each tenant's graph in memory, written behind in one transaction per tenant.
     * The commits do not wait for the disk: call flush() before acting on them.
     */
    async resolveBatch(items: { event: RawEvent; identifiers: Identifier[] }[]): Promise<Resolution[]> {
      return engine.resolveBatch(items);
    },

    /** The engine's tenants in memory and its counters (state builds, epoch conflicts). */
    engine,

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
        await client.query('BEGIN');
        await client.query(
          `UPDATE profiles SET deleted_at = CASE WHEN $3 THEN coalesce(deleted_at, now()) END, version = version + 1, updated_at = now()
            WHERE tenant_id = $1 AND customer360_id = $2`,
          [tenantId, profile.customer360_id, deleted],
        );
        await bumpEpoch(client, tenantId);
        const change = await changeOf(client, tenantId, profile.customer360_id, deleted ? 'deleted' : 'restored', []);
        await client.query('COMMIT');
        return change;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
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
     * Splits a merged-away profile off its survivor, from the audit of the merge (split-profile.ts).
     * Returns the changes of both profiles, to publish.
     */
    async split(tenantId: string, survivorId: string, mergedId: string, reason: string | null, requestedBy: string | null = null): Promise<ProfileChange[]> {
      return splitProfile(pool, { rulesOf: (t) => rulesOf(pool, t), changeOf }, tenantId, survivorId, mergedId, reason, requestedBy);
    },

    /** A tenant's identity settings (cached for 30 s). */
    async tenantSettings(tenantId: string): Promise<TenantSettings> {
      return settingsOf(tenantId);
    },

    /** Replaces them all; a source priority left out (or partial) is the default (or completed with it). */
    async setTenantSettings(tenantId: string, settings: Omit<TenantSettings, 'sourcePriority'> & { sourcePriority?: readonly Source[] }): Promise<void> {
      await pool.query(
        `INSERT INTO tenant_settings (tenant_id, default_region, email_provider_rules, identifier_sharing_limits, source_priority) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET default_region = EXCLUDED.default_region, email_provider_rules = EXCLUDED.email_provider_rules,
           identifier_sharing_limits = EXCLUDED.identifier_sharing_limits, source_priority = EXCLUDED.source_priority, updated_at = now()`,
        [tenantId, settings.defaultRegion, settings.emailProviderRules, JSON.stringify(settings.sharingLimits), completePriority(settings.sourcePriority)],
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
        `SELECT id::text, customer360_id, candidate_id, probability, evidence, event_id, created_at FROM match_reviews
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
