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
import { inTransaction } from '../platform/transaction.ts';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import { eraseLogMessagesNaming } from '../platform/log-transport.ts';
import { eraseFromGraph, graphRecordsOf, type GraphStore } from '../resolver/index.ts';
import { eraseSummaries } from '../enrich/index.ts';
import { eraseFromWarehouse, warehouseRowsOf } from '../warehouse/index.ts';
import { idOnlyChange } from '../schemas/profile-changes.ts';
import type { ProfileChange } from '../schemas/types.ts';

export interface PrivacyDeps {
  pool: pg.Pool;
  clickhouse: ClickHouseHandle;
  graph: GraphStore;
  /** Where the erased domain event goes (the profile-changes topic). */
  publishChanges: (changes: ProfileChange[]) => Promise<void>;
}

/**
 * The orchestration of data-subject requests over the owners of a person's data: the identity
 * graph (resolver/person-records.ts), the serving copy of the aggregates (enrich/summaries.ts),
 * the embedded log (platform/log-transport.ts) and the warehouse (warehouse/person-rows.ts). The
 * Postgres owners erase in one transaction with the audit row; the warehouse after it.
 */
export function createPrivacyService(deps: PrivacyDeps) {
  return {
    /** Everything held about the person of a profile ID (audited); null when there is no such profile. */
    async exportPerson(tenantId: string, customer360Id: string, requestedBy: string | null = null) {
      const profile = await deps.graph.profileById(tenantId, customer360Id);
      if (!profile) return null;
      const ids = [profile.customer360_id, ...profile.merged_ids];
      const [graph, warehouse] = await Promise.all([graphRecordsOf(deps.pool, tenantId, ids), warehouseRowsOf(deps.clickhouse, tenantId, ids)]);
      await deps.pool.query(
        "INSERT INTO privacy_requests (tenant_id, kind, customer360_id, requested_by, completed_at, summary) VALUES ($1, 'export', $2, $3, now(), $4)",
        [tenantId, profile.customer360_id, requestedBy, JSON.stringify({ profiles: ids.length, events: warehouse.events.length, identifiers: graph.identifiers.length })],
      );
      return { exported_at: new Date().toISOString(), profile, ...graph, ...warehouse };
    },

    /**
     * Erases the person of a profile ID (the profile and every profile merged into it) from
     * Postgres and ClickHouse, keeping digests to suppress a replay; null when there is no such
     * profile. Returns counts. `requestedBy`: the API key's public ID, kept in the audit row.
     */
    async erasePerson(tenantId: string, customer360Id: string, requestedBy: string | null = null): Promise<Record<string, number> | null> {
      const profile = await deps.graph.profileById(tenantId, customer360Id);
      if (!profile) return null;
      const ids = [profile.customer360_id, ...profile.merged_ids];
      const { counts, eventIds } = await inTransaction(deps.pool, async (client) => {
        const request = await client.query<{ id: string }>(
          "INSERT INTO privacy_requests (tenant_id, kind, customer360_id, requested_by) VALUES ($1, 'erase', $2, $3) RETURNING id",
          [tenantId, profile.customer360_id, requestedBy],
        );
        const requestId = request.rows[0]!.id;
        const graph = await eraseFromGraph(client, tenantId, ids, requestId);
        const erased: Record<string, number> = { ...graph.counts, profile_summaries: await eraseSummaries(client, tenantId, ids) };
        // The embedded log: every message naming one of the person's events or profiles.
        erased.transport_log = await eraseLogMessagesNaming(client, [...graph.eventIds, ...ids]);
        await client.query('UPDATE privacy_requests SET completed_at = now(), summary = $2 WHERE id = $1', [requestId, JSON.stringify({ ...erased, profiles: ids.length })]);
        // Downstream systems erase too: every profile ID of the person, nothing else of them.
        // Published before the commit: when it fails nothing is erased, and a retry publishes again.
        await deps.publishChanges([idOnlyChange({ tenantId, customer360Id: profile.customer360_id, kind: 'erased', mergedIds: profile.merged_ids })]);
        return { counts: erased, eventIds: graph.eventIds };
      });
      await eraseFromWarehouse(deps.clickhouse, tenantId, ids);
      return { ...counts, profiles: ids.length, events: eventIds.length };
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
