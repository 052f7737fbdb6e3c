/**
 * Batch matching of a set of person records: candidate pairs by blocking, each scored by the
 * model, pairs at or above the link threshold joined into clusters (union-find); pairs between
 * the review and link thresholds are kept as suggestions for a person to check.
 */
import { comparisonVector } from './compare.ts';
import { candidatePairs } from './blocking.ts';
import { defaultModel, estimateM, estimateU, scoreVector, weights, type MatchModel, type PairScore } from './model.ts';
import type { PersonRecord } from './person.ts';

export interface MatchOptions {
  linkThreshold: number;
  reviewThreshold: number;
  /** Estimate u and m from these records (true), or use the model given. */
  train: boolean;
  model?: MatchModel;
  random?: () => number;
}

export interface MatchResult {
  /** Cluster root index per record. */
  cluster: number[];
  /** Best link probability per record (1 for a cluster of one). */
  confidence: number[];
  model: MatchModel;
  candidates: number;
  links: { a: number; b: number; score: PairScore }[];
  reviews: { a: number; b: number; score: PairScore }[];
}

/**
 * The comparison vector of each pair of records (index pairs, as candidatePairs gives them): what
 * EM estimates m from and what the pairs are scored by. Shared with the estimation of a tenant's
 * model from its stream (estimate-tenant.ts), which may first thin out the candidate pairs.
 */
export function pairVectors(records: PersonRecord[], pairs: readonly (readonly [number, number])[]): number[][] {
  return pairs.map(([i, j]) => comparisonVector(records[i]!, records[j]!));
}

export function matchRecords(records: PersonRecord[], options: MatchOptions): MatchResult {
  const pairs = candidatePairs(records);
  const vectors = pairVectors(records, pairs);
  let model = options.model ?? defaultModel();
  if (options.train) {
    const random = options.random ?? Math.random;
    model = { ...model, u: estimateU(records, random) };
    model = estimateM(model, vectors);
  }
  const w = weights(model);
  const parent = records.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const confidence = records.map(() => 0);
  const links: MatchResult['links'] = [];
  const reviews: MatchResult['reviews'] = [];
  pairs.forEach(([i, j], k) => {
    const score = scoreVector(model, vectors[k]!, w);
    if (score.probability >= options.linkThreshold) {
      links.push({ a: i, b: j, score });
      parent[find(i)] = find(j);
      confidence[i] = Math.max(confidence[i]!, score.probability);
      confidence[j] = Math.max(confidence[j]!, score.probability);
    } else if (score.probability >= options.reviewThreshold) {
      reviews.push({ a: i, b: j, score });
    }
  });
  const cluster = records.map((_, i) => find(i));
  return { cluster, confidence: confidence.map((c) => (c === 0 ? 1 : c)), model, candidates: pairs.length, links, reviews };
}
