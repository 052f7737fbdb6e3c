/**
 * The serving copy of the aggregates: after each computation, enrich/ writes every recomputed
 * profile's aggregates and scores to Postgres (profile_summaries) as well as ClickHouse, so the
 * read API answers a profile, and the checkout lookup, from Postgres in one statement. ClickHouse
 * stays the warehouse of record; this copy holds one row per profile and no history.
 */
import type pg from 'pg';
import { NO_AGGREGATE_VALUES, NO_SCORES, type ProfileAggregates, type Scores } from './aggregate-fields.ts';

/** The commerce and engagement fields and the scores of a profile (enrich/), without its ID. */
export type Aggregates = Omit<ProfileAggregates, 'customer360_id'> & Scores;

/** A profile that enrich/ has not computed yet. */
export const NO_AGGREGATES: Aggregates = { ...NO_AGGREGATE_VALUES, ...NO_SCORES };

/** Rows per statement: one INSERT of a recomputation page (5,000 profiles) stays a few MB. */
const CHUNK = 1_000;

export interface SummaryStore {
  /**
   * Upserts the rows of one tenant; a row computed before the stored one is ignored, and so is a
   * row equal to the stored one (the hourly recomputation of everyone rewrites only what moved).
   */
  write(tenantId: string, rows: readonly (ProfileAggregates & Partial<Scores>)[], computedAt: Date): Promise<void>;
}

export function createSummaryStore(pool: pg.Pool): SummaryStore {
  return {
    async write(tenantId, rows, computedAt) {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        await pool.query(
          `INSERT INTO profile_summaries (tenant_id, customer360_id, aggregates, computed_at)
           SELECT $1, id, a, $4 FROM unnest($2::uuid[], $3::jsonb[]) AS t(id, a)
           ON CONFLICT (tenant_id, customer360_id) DO UPDATE SET aggregates = EXCLUDED.aggregates, computed_at = EXCLUDED.computed_at
           WHERE profile_summaries.computed_at <= EXCLUDED.computed_at AND profile_summaries.aggregates IS DISTINCT FROM EXCLUDED.aggregates`,
          [
            tenantId,
            chunk.map((r) => r.customer360_id),
            chunk.map((row) => JSON.stringify(summaryOf(row))),
            computedAt,
          ],
        );
      }
    },
  };
}

/** The API's aggregates of a computed row: exactly the fields of NO_AGGREGATES, defaults for those missing. */
export function summaryOf(row: ProfileAggregates & Partial<Scores>): Aggregates {
  const out: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(NO_AGGREGATES)) out[key] = (row as unknown as Record<string, unknown>)[key] ?? fallback;
  return out as unknown as Aggregates;
}

/** Erasure (a data-subject request): the serving copies of the profiles `ids`, in the caller's transaction. */
export async function eraseSummaries(client: pg.PoolClient, tenantId: string, ids: string[]): Promise<number> {
  return (await client.query('DELETE FROM profile_summaries WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids])).rowCount ?? 0;
}
