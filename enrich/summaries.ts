/**
 * The serving copy of the aggregates: after each computation, enrich/ writes every recomputed
 * profile's aggregates and scores to Postgres (profile_summaries) as well as ClickHouse, so the
 * read API answers a profile, and the checkout lookup, from Postgres in one statement. ClickHouse
 * stays the warehouse of record; this copy holds one row per profile and no history.
 */
import type pg from 'pg';
import { inTransaction } from '../platform/transaction.ts';
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
   * `onTierMoves` is told the loyalty tiers the write moves before it commits: when it fails,
   * nothing is written and a retry finds the same moves (at least once, never lost).
   */
  write(tenantId: string, rows: readonly (ProfileAggregates & Partial<Scores>)[], computedAt: Date, onTierMoves?: (moves: LoyaltyTierMove[]) => Promise<void>): Promise<void>;
}

/** A profile whose loyalty tier the write moved (from one tier to another, not from none). */
export interface LoyaltyTierMove {
  customer360_id: string;
  tier: string;
  previous_tier: string;
  points: number;
}

export function createSummaryStore(pool: pg.Pool): SummaryStore {
  return {
    async write(tenantId, rows, computedAt, onTierMoves) {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        await inTransaction(pool, async (client) => {
          const moves = await writeChunk(client, tenantId, chunk, computedAt);
          if (moves.length && onTierMoves) await onTierMoves(moves);
        });
      }
    },
  };
}

/** One statement: the rows upserted, and the tiers they moved (the snapshot's tier before against the one written). */
async function writeChunk(client: pg.PoolClient, tenantId: string, chunk: readonly (ProfileAggregates & Partial<Scores>)[], computedAt: Date): Promise<LoyaltyTierMove[]> {
  const result = await client.query<{ customer360_id: string; tier: string; previous_tier: string; points: number | null }>(
    `WITH input AS (SELECT id, a FROM unnest($2::uuid[], $3::jsonb[]) AS t(id, a)),
          before AS (SELECT s.customer360_id, s.aggregates->>'loyalty_tier' AS tier FROM profile_summaries s JOIN input ON s.tenant_id = $1 AND s.customer360_id = input.id),
          written AS (
            INSERT INTO profile_summaries (tenant_id, customer360_id, aggregates, computed_at)
            SELECT $1, id, a, $4 FROM input
            ON CONFLICT (tenant_id, customer360_id) DO UPDATE SET aggregates = EXCLUDED.aggregates, computed_at = EXCLUDED.computed_at
            WHERE profile_summaries.computed_at <= EXCLUDED.computed_at AND profile_summaries.aggregates IS DISTINCT FROM EXCLUDED.aggregates
            RETURNING customer360_id, aggregates->>'loyalty_tier' AS tier, (aggregates->>'loyalty_points')::float8 AS points)
     SELECT w.customer360_id, w.tier, b.tier AS previous_tier, w.points FROM written w JOIN before b USING (customer360_id)
      WHERE coalesce(w.tier, '') <> '' AND coalesce(b.tier, '') <> '' AND w.tier <> b.tier`,
    [
      tenantId,
      chunk.map((r) => r.customer360_id),
      chunk.map((row) => JSON.stringify(summaryOf(row))),
      computedAt,
    ],
  );
  return result.rows.map((r) => ({ customer360_id: r.customer360_id, tier: r.tier, previous_tier: r.previous_tier, points: r.points ?? 0 }));
}

/** The API's aggregates of a computed row: exactly the fields of NO_AGGREGATES, defaults for those missing. */
export function summaryOf(row: ProfileAggregates & Partial<Scores>): Aggregates {
  const out: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(NO_AGGREGATES)) out[key] = (row as unknown as Record<string, unknown>)[key] ?? fallback;
  return out as unknown as Aggregates;
}

/** Erasure (a data-subject request): the serving copies of the profiles `ids` (aggregates, segment membership), in the caller's transaction. */
export async function eraseSummaries(client: pg.PoolClient, tenantId: string, ids: string[]): Promise<number> {
  // The serving copy of their segment membership goes too (segments/serving.ts).
  await client.query('DELETE FROM profile_segments WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids]);
  return (await client.query('DELETE FROM profile_summaries WHERE tenant_id = $1 AND customer360_id = ANY($2::uuid[])', [tenantId, ids])).rowCount ?? 0;
}
