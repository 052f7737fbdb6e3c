/**
 * Data-subject requests: everything held about a person as one JSON document, and erasure of
 * the person everywhere: the identity graph and the embedded log in Postgres, every table of
 * the warehouse in ClickHouse (derived ones included). What stays is a suppression record of
 * SHA-256 digests of the person's identifiers and event IDs, so the resolver drops a replay of
 * their old events instead of bringing them back, and an audit row with counts, never values.
 *
 * With Kafka, raw topics keep the events until their retention removes them; the suppression
 * keeps a replay from recreating the person meanwhile.
 */
import type pg from 'pg';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import type { GraphStore } from '../resolver/index.ts';
import { digestOf, identifierDigest } from '../resolver/index.ts';
import { bumpEpoch } from '../resolver/index.ts';


/** ClickHouse tables holding a person's rows, and the profile ID columns to erase them by. */
const WAREHOUSE_TABLES: [string, string[]][] = [
  ['events', ['customer360_id']],
  ['events_by_profile', ['customer360_id']],
  ['profiles', ['customer360_id']],
  ['profile_aggregates', ['customer360_id']],
  ['profile_daily_activity_state', ['customer360_id']],
  ['profile_id_map', ['profile_id', 'current_id']],
  ['segment_membership', ['customer360_id']],
  ['segment_membership_history', ['customer360_id']],
];

export interface PrivacyDeps {
  pool: pg.Pool;
  clickhouse: ClickHouseHandle;
  graph: GraphStore;
}

export function createPrivacyService(deps: PrivacyDeps) {
  const db = deps.clickhouse.database;
  const ch = deps.clickhouse.client;

  async function chRows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await ch.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    return result.json<T>();
  }

  return {
    /** Everything held about the person of a profile ID (audited); null when there is no such profile. */
    async exportPerson(tenantId: string, customer360Id: string) {
      const profile = await deps.graph.profileById(tenantId, customer360Id);
      if (!profile) return null;
      const ids = [profile.customer360_id, ...profile.merged_ids];
      const q = (sql: string) => deps.pool.query(sql, [tenantId, ids]);
      const [identifiers, links, records, consent, merges] = await Promise.all([
        q('SELECT type, source, value, first_seen, last_seen, seen_count FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY type, value'),
        q('SELECT event_id, customer360_id, rule, confidence, evidence, linked_at FROM event_links WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY linked_at'),
        q('SELECT record, recorded_at FROM person_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY recorded_at'),
        q('SELECT scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason FROM consent_records WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[]) ORDER BY scope, version'),
        q('SELECT survivor_id, merged_id, rule, evidence, merged_at, split_at FROM profile_merges WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR merged_id = ANY($2::uuid[])) ORDER BY merged_at'),
      ]);
      const params = { t: tenantId, ids };
      const [aggregates, events, segments] = await Promise.all([
        chRows(`SELECT * EXCEPT (tenant_id) FROM ${db}.profile_aggregates FINAL WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)}`, params),
        chRows(
          `SELECT event_id, any(occurred_at) AS occurred_at, any(source) AS source, any(type) AS type, toString(any(customer360_id)) AS linked_profile_id, any(amount) AS amount, any(currency) AS currency, any(properties) AS properties
           FROM ${db}.events_by_profile WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)} GROUP BY event_id ORDER BY occurred_at`,
          params,
        ),
        chRows(`SELECT segment_id, change, changed_at, reason FROM ${db}.segment_membership_history WHERE tenant_id = {t:String} AND customer360_id IN {ids:Array(UUID)} ORDER BY changed_at`, params),
      ]);
      await deps.pool.query(
        "INSERT INTO privacy_requests (tenant_id, kind, customer360_id, completed_at, summary) VALUES ($1, 'export', $2, now(), $3)",
        [tenantId, profile.customer360_id, JSON.stringify({ profiles: ids.length, events: events.length, identifiers: identifiers.rowCount })],
      );
      return {
        exported_at: new Date().toISOString(),
        profile,
        identifiers: identifiers.rows,
        event_links: links.rows,
        person_records: records.rows,
        consent_records: consent.rows,
        merges: merges.rows,
        aggregates: aggregates[0] ?? null,
        events: (events as { properties: string }[]).map((e) => ({ ...e, properties: JSON.parse(e.properties) })),
        segment_history: segments,
      };
    },

    /**
     * Erases the person of a profile ID (the profile and every profile merged into it) from
     * Postgres and ClickHouse, keeping digests to suppress a replay; null when there is no such
     * profile. Returns counts.
     */
    async erasePerson(tenantId: string, customer360Id: string): Promise<Record<string, number> | null> {
      const profile = await deps.graph.profileById(tenantId, customer360Id);
      if (!profile) return null;
      const ids = [profile.customer360_id, ...profile.merged_ids];
      const client = await deps.pool.connect();
      const counts: Record<string, number> = {};
      let eventIds: string[] = [];
      try {
        await client.query('BEGIN');
        const request = await client.query<{ id: string }>(
          "INSERT INTO privacy_requests (tenant_id, kind, customer360_id) VALUES ($1, 'erase', $2) RETURNING id",
          [tenantId, profile.customer360_id],
        );
        const requestId = request.rows[0]!.id;
        const identifiers = await client.query<{ type: string; source: string; value: string }>(
          'SELECT type, source, value FROM identifiers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])',
          [tenantId, ids],
        );
        eventIds = (await client.query<{ event_id: string }>('SELECT event_id FROM event_links WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids])).rows.map((r) => r.event_id);
        const suppress = [
          ...identifiers.rows.map((i) => [i.type, identifierDigest(i)]),
          ...eventIds.map((e) => ['event', digestOf(e)]),
        ];
        await client.query(
          `INSERT INTO erasure_suppressions (tenant_id, kind, digest, request_id)
           SELECT $1, k, d, $4 FROM unnest($2::text[], $3::text[]) AS q(k, d) ON CONFLICT DO NOTHING`,
          [tenantId, suppress.map((s) => s[0]), suppress.map((s) => s[1]), requestId],
        );
        const del = async (name: string, sql: string, params: unknown[] = [tenantId, ids]) => {
          counts[name] = (await client.query(sql, params)).rowCount ?? 0;
        };
        // Other profiles that presented the person's identifiers keep no copy of the values.
        await del(
          'identifier_sharers',
          `DELETE FROM identifier_sharers s USING identifiers i
            WHERE s.tenant_id = $1 AND i.tenant_id = $1 AND i.customer360_id = ANY($2::uuid[]) AND s.type = i.type AND s.source = i.source AND s.value = i.value`,
        );
        counts.identifier_sharers! += (await client.query('DELETE FROM identifier_sharers WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids])).rowCount ?? 0;
        for (const table of ['identifiers', 'event_links', 'person_records', 'blocking_keys', 'consent_records', 'profile_summaries']) {
          await del(table, `DELETE FROM ${table} WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])`);
        }
        await del('match_reviews', 'DELETE FROM match_reviews WHERE tenant_id = $1 AND (customer360_id = ANY($2::uuid[]) OR candidate_id = ANY($2::uuid[]))');
        await del('blocked_merges', 'DELETE FROM blocked_merges WHERE tenant_id = $1 AND profile_ids && $2::uuid[]');
        await del('profile_merges', 'DELETE FROM profile_merges WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR merged_id = ANY($2::uuid[]))');
        await del('profile_splits', 'DELETE FROM profile_splits WHERE tenant_id = $1 AND (survivor_id = ANY($2::uuid[]) OR restored_id = ANY($2::uuid[]))');
        await del('merge_exclusions', 'DELETE FROM merge_exclusions WHERE tenant_id = $1 AND (profile_a = ANY($2::uuid[]) OR profile_b = ANY($2::uuid[]))');
        await del('profiles', 'DELETE FROM profiles WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])');
        // The embedded log: every message naming one of the person's events or profiles.
        const needles = [...eventIds, ...ids].map((n) => Buffer.from(n));
        await del(
          'transport_log',
          `DELETE FROM transport_log WHERE EXISTS (SELECT 1 FROM unnest($1::bytea[]) AS n WHERE position(n IN value) > 0)`,
          [needles],
        ).catch((error: { code?: string }) => {
          if (error.code !== '42P01') throw error; // no embedded log (Kafka mode)
        });
        await client.query('UPDATE privacy_requests SET completed_at = now(), summary = $2 WHERE id = $1', [requestId, JSON.stringify({ ...counts, profiles: ids.length })]);
        // The resolver holding this tenant's graph builds it again without the person.
        await bumpEpoch(client, tenantId);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      // The warehouse, derived tables included; synchronous, so the answer means done.
      for (const [table, columns] of WAREHOUSE_TABLES) {
        await ch.command({
          query: `ALTER TABLE ${db}.${table} DELETE WHERE tenant_id = {t:String} AND (${columns.map((c) => `${c} IN {ids:Array(UUID)}`).join(' OR ')})`,
          query_params: { t: tenantId, ids },
          clickhouse_settings: { mutations_sync: '2' },
        });
      }
      return { ...counts, profiles: ids.length, events: eventIds.length };
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
