/**
 * Decisions on the suggested matches of the review queue: approve merges the two profiles (the
 * identity engine's manual merge, merge safety included), reject closes the suggestion and keeps
 * the pair from being suggested again (write-behind.ts skips rejected pairs). Both record the key
 * that decided.
 */
import type pg from 'pg';
import type { IdentityEngine } from './state/identity-engine.ts';
import { MergeRefusedError, type ManualMerge } from './state/manual-merge.ts';

export { MergeRefusedError };

interface ReviewRow {
  id: string;
  customer360_id: string;
  candidate_id: string;
  probability: number;
  status: string;
}

async function openReview(pool: pg.Pool, tenantId: string, id: string): Promise<ReviewRow> {
  if (!/^[0-9]{1,18}$/.test(id)) throw new MergeRefusedError('no such suggestion', 'not_found');
  const { rows } = await pool.query<ReviewRow>('SELECT id::text, customer360_id, candidate_id, probability, status FROM match_reviews WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  const row = rows[0];
  if (!row) throw new MergeRefusedError('no such suggestion', 'not_found');
  if (row.status !== 'open') throw new MergeRefusedError(`the suggestion was ${row.status} already`, 'refused');
  return row;
}

/** Closes every open suggestion of the pair (either way round). */
const closePair = (pool: pg.Pool, tenantId: string, row: ReviewRow, status: 'approved' | 'rejected', by: string) =>
  pool.query(
    `UPDATE match_reviews SET status = $5, decided_by = $6, decided_at = now()
      WHERE tenant_id = $1 AND status = 'open' AND (id = $2 OR (customer360_id = $3 AND candidate_id = $4) OR (customer360_id = $4 AND candidate_id = $3))`,
    [tenantId, row.id, row.customer360_id, row.candidate_id, status, by],
  );

export function createReviewDecisions(pool: pg.Pool, engine: IdentityEngine) {
  return {
    /** Merges the suggestion's two profiles; MergeRefusedError when merge safety refuses (the suggestion stays open). */
    async approve(tenantId: string, id: string, by: string): Promise<ManualMerge> {
      const row = await openReview(pool, tenantId, id);
      const merge = await engine.merge(tenantId, [row.customer360_id, row.candidate_id], { review_id: row.id, probability: row.probability, by });
      await closePair(pool, tenantId, row, 'approved', by);
      return merge;
    },
    async reject(tenantId: string, id: string, by: string): Promise<{ id: string; status: 'rejected' }> {
      const row = await openReview(pool, tenantId, id);
      await closePair(pool, tenantId, row, 'rejected', by);
      return { id: row.id, status: 'rejected' };
    },
    /** A merge a person asked for directly (POST /v1/profiles/{id}/merge). */
    merge: (tenantId: string, ids: [string, string], by: string) => engine.merge(tenantId, ids, { by }),
  };
}

export type ReviewDecisions = ReturnType<typeof createReviewDecisions>;
