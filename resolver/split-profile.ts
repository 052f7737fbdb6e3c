import type pg from 'pg';
import type { ProfileChange, ProfileChangeKind } from '../schemas/types.ts';
import { historyOfRow, type ProfileRow } from './decide.ts';
import { subtractHistory, survive, type SurvivorshipRule } from './survivorship.ts';
import { renumberConsent } from './graph-writes.ts';
import type { Moved } from './state/merge-profiles.ts';
import { bumpEpoch } from './state/load-tenant.ts';

export class SplitError extends Error {}

export interface SplitDeps {
  rulesOf(tenantId: string): Promise<Record<string, SurvivorshipRule>>;
  changeOf(client: pg.PoolClient, tenantId: string, id: string, kind: ProfileChangeKind, mergedIds: string[]): Promise<ProfileChange>;
}

/**
 * Splits a merged-away profile off its survivor, from the audit of the merge: the profile is
 * active again with the identifiers, person records and consent records it brought, and the
 * pair is never merged again automatically. Events linked to it before the merge are its
 * own again; identifiers first seen after the merge stay with the survivor. The restored
 * profile's traits are what it had before the merge; the survivor gives back the values the
 * merged profile brought (counts subtracted) and keeps everything seen since, then both
 * survive their fields again. Returns the changes of both profiles, to publish.
 */
export async function splitProfile(pool: pg.Pool, deps: SplitDeps, tenantId: string, survivorId: string, mergedId: string, reason: string | null, requestedBy: string | null = null): Promise<ProfileChange[]> {
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
      const rules = await deps.rulesOf(tenantId);
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
    // Consent versions of both, from what each holds now.
    for (const id of ids) await renumberConsent(client, tenantId, id);
    await client.query('UPDATE profile_merges SET split_at = $2 WHERE id = $1', [row.id, now]);
    await client.query('INSERT INTO profile_splits (tenant_id, survivor_id, restored_id, merge_id, reason, requested_by) VALUES ($1, $2, $3, $4, $5, $6)', [tenantId, survivorId, mergedId, row.id, reason, requestedBy]);
    await client.query('INSERT INTO merge_exclusions (tenant_id, profile_a, profile_b) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [tenantId, ids[0], ids[1]]);
    const changes = [await deps.changeOf(client, tenantId, survivorId, 'split', [mergedId]), await deps.changeOf(client, tenantId, mergedId, 'split', [survivorId])];
    await bumpEpoch(client, tenantId);
    await client.query('COMMIT');
    return changes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
