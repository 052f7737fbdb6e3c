/**
 * Builds a tenant's identity state from Postgres (on first use, after another writer moved the
 * tenant's epoch, or after a failed write-behind): a handful of reads of the tenant's rows, in
 * one repeatable-read transaction so they agree with each other and with the epoch read.
 */
import type pg from 'pg';
import { crmStateFromJson } from '../crm-state.ts';
import { identifierKey, type IdentifierType } from '../identifiers.ts';
import { historyOfRow, pairKey, type ProfileRow } from '../decide.ts';
import type { PersonRecord } from '../fuzzy/person.ts';
import { DEFAULT_THRESHOLDS } from '../match/tenant-matching.ts';
import { COMPARISONS } from '../match/comparisons.ts';
import { createScorer, type MatchModel } from '../match/entity-score.ts';
import { addIdentifier, addRecord, addSharer, countRecord, createTenantState, newProfile, type TenantState } from './tenant-state.ts';

/** The entity matcher's model stored for a tenant (`{"kind": "entity", "u": [...]}` with a level count per comparison that fits), else null. */
export function storedEntityModel(model: unknown): MatchModel | null {
  const m = model as { kind?: unknown; u?: unknown } | null;
  if (!m || m.kind !== 'entity' || !Array.isArray(m.u) || m.u.length !== COMPARISONS.length) return null;
  const fits = COMPARISONS.every((c, i) => {
    const levels = (m.u as unknown[])[i];
    return Array.isArray(levels) && levels.length === c.levels.length && levels.every((u) => typeof u === 'number' && u > 0 && u <= 1);
  });
  return fits ? { u: m.u as number[][] } : null;
}

/** Moves a tenant's graph epoch: every writer of the identity graph but its owning resolver calls this in its transaction. */
export async function bumpEpoch(client: pg.PoolClient | pg.Pool, tenantId: string): Promise<void> {
  await client.query(
    `INSERT INTO identity_epochs (tenant_id, epoch) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET epoch = identity_epochs.epoch + 1, updated_at = now()`,
    [tenantId],
  );
}

export async function loadTenantState(pool: pg.Pool, tenantId: string): Promise<TenantState> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const q = <R extends pg.QueryResultRow>(sql: string) => client.query<R>(sql, [tenantId]).then((r) => r.rows);
    const epoch = await q<{ epoch: string }>('SELECT epoch FROM identity_epochs WHERE tenant_id = $1');
    const models = await q<{ model: unknown; link_threshold: number; review_threshold: number }>('SELECT model, link_threshold, review_threshold FROM match_models WHERE tenant_id = $1');
    const thresholds = models[0] ? { linkThreshold: models[0].link_threshold, reviewThreshold: models[0].review_threshold } : DEFAULT_THRESHOLDS;
    const state = createTenantState(tenantId, Number(epoch[0]?.epoch ?? 0), thresholds);
    // A model stored by `c360 identity estimate` is used as it is; without one, u is estimated
    // from the tenant's records as they grow (matchingFor).
    const stored = storedEntityModel(models[0]?.model);
    if (stored) state.matching = { scorer: createScorer(stored, state.frequencies), model: stored, modelRecords: Infinity };

    const profiles = await q<ProfileRow & { deleted_at: Date | null }>(
      'SELECT customer360_id, created_at, updated_at, version, merged_into, traits, trait_history, deleted_at FROM profiles WHERE tenant_id = $1 ORDER BY created_at, customer360_id',
    );
    const absorbed = new Map<string, string[]>();
    for (const row of profiles) {
      if (row.merged_into !== null) {
        state.mergedInto.set(row.customer360_id, row.merged_into);
        absorbed.set(row.merged_into, [...(absorbed.get(row.merged_into) ?? []), row.customer360_id]);
        continue;
      }
      newProfile(state, { ...row, version: String(row.version), trait_history: historyOfRow(row) });
    }
    for (const [id, list] of absorbed) {
      const profile = state.profiles.get(id);
      if (profile) profile.absorbed = list.sort();
    }

    const identifiers = await q<{ customer360_id: string; type: IdentifierType; source: string; value: string; first_seen: Date; last_seen: Date; seen_count: string; crm_state: unknown }>(
      'SELECT customer360_id, type, source, value, first_seen, last_seen, seen_count, crm_state FROM identifiers WHERE tenant_id = $1',
    );
    for (const r of identifiers) {
      const profile = state.profiles.get(r.customer360_id);
      if (!profile) continue;
      const identifier = { type: r.type, source: r.source, value: r.value, firstSeen: r.first_seen.getTime(), lastSeen: r.last_seen.getTime(), count: Number(r.seen_count), crm: crmStateFromJson(r.crm_state) };
      addIdentifier(state, profile, identifierKey(tenantId, identifier), identifier);
    }
    for (const r of await q<{ customer360_id: string; type: IdentifierType; source: string; value: string; first_seen: Date }>(
      'SELECT customer360_id, type, source, value, first_seen FROM identifier_sharers WHERE tenant_id = $1',
    )) {
      const profile = state.profiles.get(r.customer360_id);
      if (profile) addSharer(state, identifierKey(tenantId, r), r, profile, r.first_seen);
    }
    for (const r of await q<{ customer360_id: string; fingerprint: string; record: PersonRecord }>(
      'SELECT customer360_id, fingerprint, record FROM person_records WHERE tenant_id = $1 ORDER BY recorded_at, event_id',
    )) {
      const profile = state.profiles.get(r.customer360_id);
      if (profile && addRecord(state, profile, r.record, r.fingerprint)) countRecord(state, r.record);
    }
    for (const r of await q<{ customer360_id: string; event_id: string }>('SELECT customer360_id, event_id FROM consent_records WHERE tenant_id = $1 ORDER BY recorded_at, version, event_id')) {
      state.profiles.get(r.customer360_id)?.consent.push(r.event_id);
    }
    for (const r of await q<{ profile_a: string; profile_b: string }>('SELECT profile_a, profile_b FROM merge_exclusions WHERE tenant_id = $1')) {
      state.exclusions.add(pairKey(r.profile_a, r.profile_b));
    }
    await client.query('COMMIT');
    return state;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
