/**
 * Re-estimating a tenant's Fellegi-Sunter match model from its own stream (`c360 identity
 * estimate`). The stream keeps every distinct person record of each profile in `person_records`;
 * a uniform sample of them (at most 200,000 by default) gives u from random pairs and m by EM over
 * the candidate pairs of blocking, exactly as `c360 dedupe` estimates a model from a file (the
 * same functions of model.ts, blocking.ts and cluster.ts). The resolver reads the result from
 * `match_models` (cached for 30 s per process).
 *
 * The estimate is refused, and the current model left in place, when the tenant has too few
 * records or candidate pairs to say anything: a model from a few hundred records would be noise
 * that every later event is matched with.
 */
import type pg from 'pg';
import { seededRandom } from '../../ingest/demo-data.ts';
import { DEFAULT_MATCHING } from '../graph-store.ts';
import { candidatePairs } from './blocking.ts';
import { pairVectors } from './cluster.ts';
import { COMPARISONS } from './compare.ts';
import { defaultModel, estimateM, levelFrequencies, randomPairLevelCounts, type MatchModel } from './model.ts';
import type { PersonRecord } from './person.ts';

export interface EstimateOptions {
  /** Upsert the estimate into match_models (false: a dry run). */
  write?: boolean;
  /** At most this many person records, chosen uniformly (default 200,000). */
  sample?: number;
  /** Refuse below this many records (default 1,000). */
  minRecords?: number;
  /** Refuse below this many candidate pairs (default 100). */
  minCandidatePairs?: number;
  /**
   * EM runs over at most this many candidate pairs, a uniform subset when there are more
   * (default 1,000,000): memory and time grow with the pairs, the estimate hardly does.
   */
  maxCandidatePairs?: number;
  /**
   * A comparison seen (both values present) in fewer candidate pairs or random pairs than this
   * keeps its current m and u (default 100): a tenant whose records rarely carry an email would
   * otherwise get a near-uniform u for email agreement, and lose that evidence.
   */
  minObservations?: number;
  /** Random pairs for u (default 100,000). */
  randomPairs?: number;
  /** Rows per page read from Postgres (default 5,000). */
  pageSize?: number;
  /** The sampling and random pairs; seeded by default, so the same records give the same model. */
  random?: () => number;
}

/** How one level of a comparison moved. */
export interface LevelChange {
  level: string;
  m: { before: number; after: number };
  u: { before: number; after: number };
}

export interface ComparisonChange {
  comparison: string;
  /** False when it was seen too rarely to estimate: its current m and u were kept. */
  estimated: boolean;
  /** Candidate pairs and random pairs in which both records had a value for it. */
  observed: { candidatePairs: number; randomPairs: number };
  levels: LevelChange[];
}

export interface TenantEstimate {
  tenantId: string;
  model: MatchModel;
  /** The model the resolver used until now (its own, else the defaults). */
  previous: MatchModel;
  /** The tenant's thresholds (kept), or the defaults when it had none. */
  linkThreshold: number;
  reviewThreshold: number;
  written: boolean;
  summary: {
    /** Person records the tenant holds, and how many of them were sampled. */
    records: number;
    recordsUsed: number;
    /** Candidate pairs of the sample by blocking, and how many of them EM ran over. */
    candidatePairs: number;
    candidatePairsUsed: number;
    randomPairs: number;
    lambda: { before: number; after: number };
    comparisons: ComparisonChange[];
  };
}

/** A refused estimate: nothing was written. */
export class EstimateError extends Error {}

export const ESTIMATE_DEFAULTS = {
  sample: 200_000,
  minRecords: 1_000,
  minCandidatePairs: 100,
  maxCandidatePairs: 1_000_000,
  minObservations: 100,
  randomPairs: 100_000,
  pageSize: 5_000,
} as const;

/** A stored model the current comparisons can use: one m and u per level of each. */
function fitsComparisons(model: MatchModel | undefined): model is MatchModel {
  return (
    !!model &&
    typeof model.lambda === 'number' &&
    Array.isArray(model.m) &&
    Array.isArray(model.u) &&
    COMPARISONS.every((c, i) => model.m[i]?.length === c.levels.length && model.u[i]?.length === c.levels.length)
  );
}

/**
 * A uniform sample of at most `size` of the tenant's person records (reservoir sampling), read
 * in pages in primary-key order so that no more than a page and the sample are held at once.
 */
async function sampleRecords(pool: pg.Pool, tenantId: string, size: number, pageSize: number, random: () => number) {
  const sample: PersonRecord[] = [];
  let seen = 0;
  // The key of the last row read; the first page starts below every key (the nil UUID, no fingerprint).
  let after = { id: '00000000-0000-0000-0000-000000000000', fingerprint: '' };
  for (;;) {
    const { rows } = await pool.query<{ customer360_id: string; fingerprint: string; record: PersonRecord }>(
      `SELECT customer360_id, fingerprint, record FROM person_records
        WHERE tenant_id = $1 AND (customer360_id, fingerprint) > ($2::uuid, $3::text)
        ORDER BY customer360_id, fingerprint LIMIT $4`,
      [tenantId, after.id, after.fingerprint, pageSize],
    );
    for (const row of rows) {
      if (sample.length < size) sample.push(row.record);
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < size) sample[j] = row.record;
      }
      seen++;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) break;
    after = { id: last.customer360_id, fingerprint: last.fingerprint };
  }
  return { sample, seen };
}

/** A uniform subset of `size` of the pairs (a partial Fisher-Yates shuffle), or all of them. */
function thinPairs(pairs: [number, number][], size: number, random: () => number): [number, number][] {
  if (pairs.length <= size) return pairs;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (pairs.length - i));
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  return pairs.slice(0, size);
}

export async function estimateTenantModel(pool: pg.Pool, tenantId: string, options: EstimateOptions = {}): Promise<TenantEstimate> {
  const o = {
    sample: options.sample ?? ESTIMATE_DEFAULTS.sample,
    minRecords: options.minRecords ?? ESTIMATE_DEFAULTS.minRecords,
    minCandidatePairs: options.minCandidatePairs ?? ESTIMATE_DEFAULTS.minCandidatePairs,
    maxCandidatePairs: options.maxCandidatePairs ?? ESTIMATE_DEFAULTS.maxCandidatePairs,
    minObservations: options.minObservations ?? ESTIMATE_DEFAULTS.minObservations,
    randomPairs: options.randomPairs ?? ESTIMATE_DEFAULTS.randomPairs,
    pageSize: options.pageSize ?? ESTIMATE_DEFAULTS.pageSize,
    write: options.write ?? false,
  };
  if (!Number.isInteger(o.sample) || o.sample < 2) throw new EstimateError(`the sample must be a whole number of at least 2 records (got ${o.sample})`);
  const random = options.random ?? seededRandom(360);

  const { rows: stored } = await pool.query<{ model: MatchModel; link_threshold: number; review_threshold: number }>(
    'SELECT model, link_threshold, review_threshold FROM match_models WHERE tenant_id = $1',
    [tenantId],
  );
  // A stored model of other comparisons (an older release) cannot be compared level by level:
  // the defaults are then what the estimate is measured against and falls back on.
  const previous = fitsComparisons(stored[0]?.model) ? stored[0]!.model : defaultModel();

  const { sample, seen } = await sampleRecords(pool, tenantId, o.sample, o.pageSize, random);
  if (sample.length < o.minRecords) {
    const sampled = sample.length < seen ? ` (a sample of ${sample.length})` : '';
    throw new EstimateError(
      `tenant ${tenantId} has ${seen} person records${sampled}; at least ${o.minRecords} are needed to estimate its match model, which stays as it is`,
    );
  }
  const allPairs = candidatePairs(sample);
  const candidates = allPairs.length;
  if (candidates < o.minCandidatePairs) {
    throw new EstimateError(
      `tenant ${tenantId}: ${candidates} candidate pairs among ${sample.length} person records; at least ${o.minCandidatePairs} are needed to estimate its match model, which stays as it is`,
    );
  }
  const pairs = thinPairs(allPairs, o.maxCandidatePairs, random);
  const vectors = pairVectors(sample, pairs);
  const uCounts = randomPairLevelCounts(sample, random, o.randomPairs);

  // EM starts from the hand-set m and prior, as `c360 dedupe` does, not from the tenant's last
  // estimate: the result depends on the records only, and a poor estimate is not carried forward.
  const fresh = estimateM({ ...defaultModel(), u: levelFrequencies(uCounts) }, vectors);

  const comparisons: ComparisonChange[] = COMPARISONS.map((comparison, c) => {
    const observed = {
      candidatePairs: vectors.reduce((n, v) => n + (v[c]! >= 0 ? 1 : 0), 0),
      // Each level's count started at 1.
      randomPairs: uCounts[c]!.reduce((x, y) => x + y, 0) - uCounts[c]!.length,
    };
    return {
      comparison: comparison.name,
      estimated: observed.candidatePairs >= o.minObservations && observed.randomPairs >= o.minObservations,
      observed,
      levels: [],
    };
  });
  const model: MatchModel = {
    lambda: fresh.lambda,
    m: fresh.m.map((levels, c) => (comparisons[c]!.estimated ? levels : previous.m[c]!)),
    u: fresh.u.map((levels, c) => (comparisons[c]!.estimated ? levels : previous.u[c]!)),
  };
  for (const [c, change] of comparisons.entries()) {
    change.levels = COMPARISONS[c]!.levels.map((level, l) => ({
      level,
      m: { before: previous.m[c]![l]!, after: model.m[c]![l]! },
      u: { before: previous.u[c]![l]!, after: model.u[c]![l]! },
    }));
  }

  let linkThreshold = stored[0]?.link_threshold ?? DEFAULT_MATCHING.linkThreshold;
  let reviewThreshold = stored[0]?.review_threshold ?? DEFAULT_MATCHING.reviewThreshold;
  if (o.write) {
    // The thresholds are the tenant's own choice: an estimate replaces the model only.
    const { rows } = await pool.query<{ link_threshold: number; review_threshold: number }>(
      `INSERT INTO match_models (tenant_id, model, link_threshold, review_threshold) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id) DO UPDATE SET model = EXCLUDED.model, updated_at = now()
       RETURNING link_threshold, review_threshold`,
      [tenantId, JSON.stringify(model), DEFAULT_MATCHING.linkThreshold, DEFAULT_MATCHING.reviewThreshold],
    );
    linkThreshold = rows[0]!.link_threshold;
    reviewThreshold = rows[0]!.review_threshold;
  }

  return {
    tenantId,
    model,
    previous,
    linkThreshold,
    reviewThreshold,
    written: o.write,
    summary: {
      records: seen,
      recordsUsed: sample.length,
      candidatePairs: candidates,
      candidatePairsUsed: pairs.length,
      randomPairs: o.randomPairs,
      lambda: { before: previous.lambda, after: model.lambda },
      comparisons,
    },
  };
}
