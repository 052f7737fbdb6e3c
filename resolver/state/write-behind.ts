/**
 * Writes what a batch changed in a tenant's identity state, in one transaction of set-based
 * statements (one per table, unnest of the rows), moving the tenant's epoch by one from the
 * epoch the state holds. When the epoch is not what the state holds, another writer changed
 * the graph meanwhile: nothing is written and EpochMovedError says the state must be built again.
 * The commit does not wait for the disk (synchronous_commit off): the caller flushes before it
 * publishes what the batch decided.
 */
import type pg from 'pg';
import { consentOf } from '../graph-writes.ts';
import { currentProfile, type ProfileState, type TenantState } from './tenant-state.ts';
import type { WriteSet } from './write-set.ts';

export class EpochMovedError extends Error {
  readonly retriable = true;
}

/** Columns of rows, for unnest. */
const columns = (rows: unknown[][], width: number) => Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));

export async function writeBehind(client: pg.PoolClient, state: TenantState, writes: WriteSet): Promise<void> {
  const t = state.tenantId;
  const q = (sql: string, params: unknown[]) => client.query(sql, [t, ...params]);
  const finalOf = (id: string) => currentProfile(state, id)?.customer360_id ?? id;

  const { rowCount } = await q(
    `INSERT INTO identity_epochs (tenant_id, epoch) VALUES ($1, $2::bigint + 1)
     ON CONFLICT (tenant_id) DO UPDATE SET epoch = EXCLUDED.epoch, updated_at = now() WHERE identity_epochs.epoch = $2::bigint`,
    [state.epoch],
  );
  if (rowCount !== 1) throw new EpochMovedError(`the identity graph of tenant ${t} was changed by another writer`);

  const rowOf = (p: ProfileState) => [p.customer360_id, p.created_at, p.updated_at, p.version, p.merged_into === null ? null : finalOf(p.customer360_id), JSON.stringify(p.traits), JSON.stringify(p.trait_history)];
  const profiles = [...writes.touched].map((id) => state.profiles.get(id) ?? writes.gone.get(id)).filter((p): p is ProfileState => p !== undefined);
  if (profiles.length) {
    await q(
      `INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, merged_into, traits, trait_history)
       SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::uuid[], $7::jsonb[], $8::jsonb[])
       ON CONFLICT (tenant_id, customer360_id) DO UPDATE SET updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
         merged_into = EXCLUDED.merged_into, traits = EXCLUDED.traits, trait_history = EXCLUDED.trait_history`,
      columns(profiles.map(rowOf), 7),
    );
  }
  const repointed = [...writes.repointed].filter((id) => !writes.touched.has(id));
  if (repointed.length) {
    await q('UPDATE profiles p SET merged_into = m.survivor FROM unnest($2::uuid[], $3::uuid[]) AS m(id, survivor) WHERE p.tenant_id = $1 AND p.customer360_id = m.id', [
      repointed,
      repointed.map(finalOf),
    ]);
  }
  const gone = [...writes.gone.keys()];
  if (gone.length) {
    const survivors = gone.map(finalOf);
    // Rows already stored under a merged profile move to its survivor (a record the survivor holds too is kept once).
    await q(
      `WITH moved AS (DELETE FROM person_records r USING unnest($2::uuid[], $3::uuid[]) AS m(gone, survivor)
                       WHERE r.tenant_id = $1 AND r.customer360_id = m.gone RETURNING r.fingerprint, r.record, r.event_id, r.recorded_at, m.survivor)
       INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id, recorded_at)
       SELECT $1, survivor, fingerprint, record, event_id, recorded_at FROM moved ON CONFLICT DO NOTHING`,
      [gone, survivors],
    );
    await q('UPDATE consent_records c SET customer360_id = m.survivor FROM unnest($2::uuid[], $3::uuid[]) AS m(gone, survivor) WHERE c.tenant_id = $1 AND c.customer360_id = m.gone', [
      gone,
      survivors,
    ]);
  }
  const identifiers = [...writes.identifiers].flatMap((key) => {
    const owner = state.owners.get(key);
    const held = owner === undefined ? undefined : state.profiles.get(owner)?.identifiers.get(key);
    return held ? [[held.type, held.source, held.value, owner, new Date(held.firstSeen), new Date(held.lastSeen), held.count, held.crm ? JSON.stringify(held.crm) : null]] : [];
  });
  if (identifiers.length) {
    await q(
      `INSERT INTO identifiers (tenant_id, type, source, value, customer360_id, first_seen, last_seen, seen_count, crm_state)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[], $7::timestamptz[], $8::bigint[], $9::jsonb[])
       ON CONFLICT (tenant_id, type, source, value) DO UPDATE SET customer360_id = EXCLUDED.customer360_id,
         first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, seen_count = EXCLUDED.seen_count, crm_state = EXCLUDED.crm_state`,
      columns(identifiers, 8),
    );
  }
  const detached = [...writes.detached].filter(([key]) => !state.owners.has(key)).map(([, i]) => [i.type, i.source, i.value]);
  if (detached.length) {
    await q(
      `DELETE FROM identifiers i USING unnest($2::text[], $3::text[], $4::text[]) AS d(type, source, value)
        WHERE i.tenant_id = $1 AND i.type = d.type AND i.source = d.source AND i.value = d.value`,
      columns(detached, 3),
    );
  }
  if (writes.sharerKeys.size) {
    const keys = [...writes.sharerKeys].map((k) => state.sharers.get(k)!);
    await q(
      `DELETE FROM identifier_sharers s USING unnest($2::text[], $3::text[], $4::text[]) AS k(type, source, value)
        WHERE s.tenant_id = $1 AND s.type = k.type AND s.source = k.source AND s.value = k.value`,
      columns(keys.map((k) => [k.identifier.type, k.identifier.source, k.identifier.value]), 3),
    );
    const rows = keys.flatMap((k) => [...k.by].map(([id, since]) => [k.identifier.type, k.identifier.source, k.identifier.value, id, since]));
    if (rows.length) {
      await q(
        `INSERT INTO identifier_sharers (tenant_id, type, source, value, customer360_id, first_seen)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[]) ON CONFLICT DO NOTHING`,
        columns(rows, 5),
      );
    }
  }
  if (writes.records.length) {
    await q(
      `INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id)
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::text[]) ON CONFLICT DO NOTHING`,
      columns(
        writes.records.map((r) => {
          const { id: _id, ...content } = r.record;
          return [finalOf(r.profile), r.fingerprint, JSON.stringify({ id: r.eventId, ...content }), r.eventId];
        }),
        4,
      ),
    );
  }
  if (writes.consent.length) {
    // Versions go on from what each profile holds per scope, in the order of the batch.
    const rows = writes.consent.map(({ profile, event }) => {
      const c = consentOf(event)!;
      return [finalOf(profile), c.scope, c.status, c.policy_version, new Date(event.occurred_at), event.source, c.ip, event.type, event.event_id, c.reason];
    });
    await q(
      `INSERT INTO consent_records (tenant_id, customer360_id, scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason)
       SELECT $1, q.id, q.scope, q.status,
              coalesce((SELECT max(c.version) FROM consent_records c WHERE c.tenant_id = $1 AND c.customer360_id = q.id AND c.scope = q.scope), 0)
                + row_number() OVER (PARTITION BY q.id, q.scope ORDER BY q.n),
              q.policy_version, q.occurred_at, q.source, q.ip, q.event_type, q.event_id, q.reason
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
              WITH ORDINALITY AS q(id, scope, status, policy_version, occurred_at, source, ip, event_type, event_id, reason, n)
       ON CONFLICT (tenant_id, event_id) DO NOTHING`,
      columns(rows, 10),
    );
  }
  if (writes.renumber.size) {
    // A merged consent history is numbered 1, 2, ... per scope again, in the order recorded.
    await q(
      `UPDATE consent_records c SET version = r.v
         FROM (SELECT event_id, row_number() OVER (PARTITION BY customer360_id, scope ORDER BY recorded_at, version, event_id)::int AS v
                 FROM consent_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])) r
        WHERE c.tenant_id = $1 AND c.event_id = r.event_id AND c.version <> r.v`,
      [[...new Set([...writes.renumber].map(finalOf))]],
    );
  }
  if (writes.links.size) {
    const rows = [...writes.links].map(([eventId, l]) => [eventId, l.customer360_id, l.rule, l.confidence, l.evidence]);
    await q(
      `INSERT INTO event_links (tenant_id, event_id, customer360_id, rule, confidence, evidence)
       SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::float8[], $6::jsonb[])`,
      columns(rows, 5),
    );
  }
  if (writes.merges.length) {
    await client.query(
      `INSERT INTO profile_merges (tenant_id, survivor_id, merged_id, event_id, rule, evidence, moved)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])`,
      columns(writes.merges, 7),
    );
  }
  if (writes.blocked.length) {
    // profile_ids is an array per row: unnest cannot take an array of arrays of varying length.
    await client.query(
      `INSERT INTO blocked_merges (tenant_id, profile_ids, event_id, reason)
       SELECT t, string_to_array(ids, ',')::uuid[], e, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS q(t, ids, e, r)`,
      columns(writes.blocked, 4),
    );
  }
  if (writes.reviews.length) {
    await client.query(
      // A pair a person rejected is never suggested again.
      `INSERT INTO match_reviews (tenant_id, customer360_id, candidate_id, probability, evidence, event_id)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::float8[], $5::jsonb[], $6::text[]) AS q(t, a, b, p, e, ev)
        WHERE NOT EXISTS (SELECT 1 FROM match_reviews r WHERE r.tenant_id = q.t AND r.status = 'rejected'
                            AND LEAST(r.customer360_id, r.candidate_id) = LEAST(q.a, q.b) AND GREATEST(r.customer360_id, r.candidate_id) = GREATEST(q.a, q.b))`,
      columns(writes.reviews, 6),
    );
  }
}
