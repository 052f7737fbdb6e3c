/**
 * Estimating a tenant's entity-matcher model from its own stream (`c360 identity estimate`). The
 * m of every level is fixed (comparisons.ts); what a tenant's records say is u, how often two
 * different people show each level: estimateModel over random pairs of a uniform sample of the
 * tenant's stored person records (at most 200,000 by default), each comparison starting from its
 * generic u so that a field the records seldom hold keeps it.
 *
 * The model is stored as `{"kind": "entity", "u": [...]}` in `match_models` (the tenant's
 * thresholds kept), and the tenant's graph epoch moved in the same transaction: a running
 * resolver builds the tenant's state again on its next batch and scores with the stored u
 * (storedEntityModel in state/load-tenant.ts) instead of estimating its own.
 *
 * The estimate is refused, and the current model left in place, when the tenant has too few
 * records: u from a few hundred records would be noise that every later event is matched with.
 */
import type pg from 'pg';
import { seededRandom } from '../../platform/random.ts';
import { bumpEpoch, storedEntityModel } from '../state/load-tenant.ts';
import { COMPARISONS } from './comparisons.ts';
import { defaultModel, estimateModel, type MatchModel } from './entity-score.ts';
import { matchRecord } from './record.ts';
import { sampleTenantRecords } from './sample-records.ts';
import { DEFAULT_THRESHOLDS } from './tenant-matching.ts';

export interface EstimateOptions {
  /** Store the estimate in match_models and move the tenant's epoch (false: a dry run). */
  write?: boolean;
  /** At most this many person records, chosen uniformly (default 200,000). */
  sample?: number;
  /** Refuse below this many records in the sample (default 1,000). */
  minRecords?: number;
  /** Random pairs of the sample that u is counted over (default 1,000,000). */
  pairs?: number;
  /** Rows per page read from Postgres (default 5,000). */
  pageSize?: number;
  /** The sampling and the random pairs; seeded by default, so the same records give the same model. */
  random?: () => number;
}

/** One level of a comparison: its fixed m, and u and the weight log2(m / u) before and after. */
export interface LevelEstimate {
  level: string;
  m: number;
  u: { before: number; after: number };
  weight: { before: number; after: number };
  /** A level the scorer weighs by the frequency of the value itself when the tenant's counts know it (this u is the fallback). */
  byFrequency: boolean;
}

export interface ComparisonEstimate {
  comparison: string;
  /** Sampled records holding what the comparison reads: with few, its u stays near the generic one. */
  recordsWithValue: number;
  levels: LevelEstimate[];
}

export interface TenantEstimate {
  tenantId: string;
  model: MatchModel;
  /** What u was measured against: the tenant's stored entity model, else the generic priors. */
  previous: MatchModel;
  previousSource: 'stored' | 'priors';
  /** The tenant's thresholds (kept), or the defaults when it had none. */
  linkThreshold: number;
  reviewThreshold: number;
  written: boolean;
  summary: {
    /** Person records the tenant holds, and how many of them were sampled. */
    records: number;
    recordsUsed: number;
    pairs: number;
    comparisons: ComparisonEstimate[];
  };
}

/** A refused estimate: nothing was written. */
export class EstimateError extends Error {}

export const ESTIMATE_DEFAULTS = {
  sample: 200_000,
  minRecords: 1_000,
  pairs: 1_000_000,
  pageSize: 5_000,
} as const;

/** A level's match weight as the scorer computes it (createScorer in entity-score.ts). */
export const levelWeight = (m: number, u: number) => Math.log2(m / Math.max(u, 1e-9));

/** Stores the model, keeping the tenant's thresholds, and moves its epoch, in one transaction. */
async function storeModel(pool: pg.Pool, tenantId: string, model: MatchModel): Promise<{ linkThreshold: number; reviewThreshold: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ link_threshold: number; review_threshold: number }>(
      `INSERT INTO match_models (tenant_id, model, link_threshold, review_threshold) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id) DO UPDATE SET model = EXCLUDED.model, updated_at = now()
       RETURNING link_threshold, review_threshold`,
      [tenantId, JSON.stringify({ kind: 'entity', u: model.u }), DEFAULT_THRESHOLDS.linkThreshold, DEFAULT_THRESHOLDS.reviewThreshold],
    );
    await bumpEpoch(client, tenantId);
    await client.query('COMMIT');
    return { linkThreshold: rows[0]!.link_threshold, reviewThreshold: rows[0]!.review_threshold };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function estimateTenantModel(pool: pg.Pool, tenantId: string, options: EstimateOptions = {}): Promise<TenantEstimate> {
  const o = {
    sample: options.sample ?? ESTIMATE_DEFAULTS.sample,
    minRecords: options.minRecords ?? ESTIMATE_DEFAULTS.minRecords,
    pairs: options.pairs ?? ESTIMATE_DEFAULTS.pairs,
    pageSize: options.pageSize ?? ESTIMATE_DEFAULTS.pageSize,
    write: options.write ?? false,
  };
  if (!Number.isInteger(o.sample) || o.sample < 2) throw new EstimateError(`the sample must be a whole number of at least 2 records (got ${o.sample})`);
  const random = options.random ?? seededRandom(360);

  const { rows: stored } = await pool.query<{ model: unknown; link_threshold: number; review_threshold: number }>(
    'SELECT model, link_threshold, review_threshold FROM match_models WHERE tenant_id = $1',
    [tenantId],
  );
  // A stored model of another shape (the earlier pairwise model, or other comparisons) is not
  // what the resolver scores with: the generic priors are then what the estimate is measured against.
  const storedModel = storedEntityModel(stored[0]?.model);
  const previous = storedModel ?? defaultModel();

  const { records: sample, seen } = await sampleTenantRecords(pool, tenantId, { size: o.sample, pageSize: o.pageSize, random });
  if (sample.length < o.minRecords) {
    const sampled = sample.length < seen ? ` (a sample of ${sample.length})` : '';
    throw new EstimateError(
      `tenant ${tenantId} has ${seen} person records${sampled}; at least ${o.minRecords} are needed to estimate its match model, which stays as it is`,
    );
  }
  const records = sample.map(matchRecord);
  // Not from the stored u: the result depends on the records only, and a poor estimate is not carried forward.
  const model = estimateModel(records, random, o.pairs);

  const comparisons: ComparisonEstimate[] = COMPARISONS.map((comparison, c) => ({
    comparison: comparison.name,
    // A record compared with itself gives a level exactly when it holds what the comparison reads.
    recordsWithValue: records.reduce((n, r) => n + (comparison.level(r, r) >= 0 ? 1 : 0), 0),
    levels: comparison.levels.map((level, l) => {
      const before = previous.u[c]![l]!;
      const after = model.u[c]![l]!;
      return {
        level: level.name,
        m: level.m,
        u: { before, after },
        weight: { before: levelWeight(level.m, before), after: levelWeight(level.m, after) },
        byFrequency: level.tf !== undefined,
      };
    }),
  }));

  const thresholds = o.write
    ? await storeModel(pool, tenantId, model)
    : stored[0]
      ? { linkThreshold: stored[0].link_threshold, reviewThreshold: stored[0].review_threshold }
      : DEFAULT_THRESHOLDS;

  return {
    tenantId,
    model,
    previous,
    previousSource: storedModel ? 'stored' : 'priors',
    ...thresholds,
    written: o.write,
    summary: { records: seen, recordsUsed: sample.length, pairs: o.pairs, comparisons },
  };
}
