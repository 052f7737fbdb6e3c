/**
 * The identity graph's part of a data-subject request (api/privacy-service.ts orchestrates):
 * what the graph holds about a person's profiles, and their erasure from it. Erasure keeps
 * SHA-256 digests of the person's identifiers and event IDs (erasure_suppressions), so the
 * resolver drops a replay of their old events, and moves the tenant's epoch on, so the resolver
 * holding the tenant builds its graph again without the person.
 */
import type pg from 'pg';
import { bumpEpoch } from './state/load-tenant.ts';
import { digestOf, identifierDigest } from './suppression.ts';

/** The graph's rows about the profiles `ids` (a person and those merged into them). */
export async function graphRecordsOf(pool: pg.Pool, tenantId: string, ids: string[]) {
  const q = (sql: string) => pool.query(sql, [tenantId, ids]);
  const [identifiers, links, records, consent, merges] = await Promise.all([
    q('SELECT type, source, value, first_seen, last_seen, seen_count, crm_state FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY type, value'),
    q('SELECT event_id, customer360_id, rule, confidence, evidence, linked_at FROM event_links WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY linked_at'),
    q('SELECT record, recorded_at FROM person_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY recorded_at'),
    q('SELECT scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason FROM consent_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY scope, version'),
    q('SELECT survivor_id, merged_id, rule, evidence, merged_at, split_at FROM profile_merges WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR merged_id = ANY($2::uuid[])) ORDER BY merged_at'),
  ]);
  return { identifiers: identifiers.rows, event_links: links.rows, person_records: records.rows, consent_records: consent.rows, merges: merges.rows };
}

/**
 * Erases the profiles `ids` from the graph inside the caller's transaction, after recording the
 * suppression digests under `requestId`. Returns rows deleted per table and the person's event IDs.
 */
export async function eraseFromGraph(client: pg.PoolClient, tenantId: string, ids: string[], requestId: string): Promise<{ counts: Record<string, number>; eventIds: string[] }> {
  const counts: Record<string, number> = {};
  const identifiers = await client.query<{ type: string; source: string; value: string }>(
    'SELECT type, source, value FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])',
    [tenantId, ids],
  );
  const eventIds = (await client.query<{ event_id: string }>('SELECT event_id FROM event_links WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids])).rows.map((r) => r.event_id);
  const suppress = [...identifiers.rows.map((i) => [i.type, identifierDigest(i)]), ...eventIds.map((e) => ['event', digestOf(e)])];
  await client.query(
    `INSERT INTO erasure_suppressions (tenant_id, kind, digest, request_id)
     SELECT $1, k, d, $4 FROM unnest($2::text[], $3::text[]) AS q(k, d) ON CONFLICT DO NOTHING`,
    [tenantId, suppress.map((s) => s[0]), suppress.map((s) => s[1]), requestId],
  );
  const del = async (name: string, sql: string) => {
    counts[name] = (counts[name] ?? 0) + ((await client.query(sql, [tenantId, ids])).rowCount ?? 0);
  };
  // Other profiles that presented the person's identifiers keep no copy of the values.
  await del(
    'identifier_sharers',
    `DELETE FROM identifier_sharers s USING identifiers i
      WHERE s.tenant_id = $1 AND i.tenant_id = $1 AND i.customer360_id = ANY($2::uuid[]) AND s.type = i.type AND s.source = i.source AND s.value = i.value`,
  );
  await del('identifier_sharers', 'DELETE FROM identifier_sharers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])');
  for (const table of ['identifiers', 'event_links', 'person_records', 'blocking_keys', 'consent_records']) {
    await del(table, `DELETE FROM ${table} WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])`);
  }
  await del('match_reviews', 'DELETE FROM match_reviews WHERE tenant_id = $1 AND (customer360_id = ANY($2::uuid[]) OR candidate_id = ANY($2::uuid[]))');
  await del('blocked_merges', 'DELETE FROM blocked_merges WHERE tenant_id = $1 AND profile_ids && $2::uuid[]');
  await del('profile_merges', 'DELETE FROM profile_merges WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR merged_id = ANY($2::uuid[]))');
  await del('profile_splits', 'DELETE FROM profile_splits WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR restored_id = ANY($2::uuid[]))');
  await del('merge_exclusions', 'DELETE FROM merge_exclusions WHERE tenant_id = $1 AND (profile_a = ANY($2::uuid[]) OR profile_b = ANY($2::uuid[]))');
  await del('profiles', 'DELETE FROM profiles WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])');
  await bumpEpoch(client, tenantId);
  return { counts, eventIds };
}
