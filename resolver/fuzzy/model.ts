/**
 * The Fellegi-Sunter match model: for each comparison level, m (how often true matches show it)
 * and u (how often non-matches show it); a level's match weight is log2(m / u), a pair's score
 * the prior log-odds plus the weights of its levels, and its match probability follows.
 * u is estimated from random pairs of a tenant's own records (nearly all non-matches), m by
 * expectation-maximisation over the candidate pairs; the defaults serve until then.
 */
import { COMPARISONS, comparisonVector, type Comparison } from './compare.ts';
import type { PersonRecord } from './person.ts';

export interface MatchModel {
  /** Prior probability that a candidate pair is a match. */
  lambda: number;
  /** Per comparison, per level. */
  m: number[][];
  u: number[][];
}

export interface Contribution {
  comparison: string;
  level: string;
  weight: number;
}

export interface PairScore {
  /** log2 odds of a match. */
  score: number;
  probability: number;
  contributions: Contribution[];
}

const EPSILON = 1e-6;

/** Hand-set defaults: good levels are common among matches, rare among non-matches. */
export function defaultModel(comparisons: readonly Comparison[] = COMPARISONS): MatchModel {
  const m = comparisons.map((c) => {
    const n = c.levels.length;
    // exact 0.85, then the near levels share 0.14, "different" 0.01.
    return c.levels.map((_, i) => (i === 0 ? 0.85 : i === n - 1 ? 0.01 : 0.14 / Math.max(1, n - 2)));
  });
  const u = comparisons.map((c) => {
    const n = c.levels.length;
    return c.levels.map((_, i) => (i === 0 ? 0.01 : i === n - 1 ? 0.97 : 0.02 / Math.max(1, n - 2)));
  });
  return { lambda: 0.001, m, u };
}

export function weights(model: MatchModel): number[][] {
  return model.m.map((levels, c) => levels.map((m, l) => Math.log2(Math.max(m, EPSILON) / Math.max(model.u[c]![l]!, EPSILON))));
}

export function scoreVector(model: MatchModel, vector: number[], w = weights(model), comparisons: readonly Comparison[] = COMPARISONS): PairScore {
  let score = Math.log2(model.lambda / (1 - model.lambda));
  const contributions: Contribution[] = [];
  vector.forEach((level, c) => {
    if (level < 0) return;
    const weight = w[c]![level]!;
    score += weight;
    contributions.push({ comparison: comparisons[c]!.name, level: comparisons[c]!.levels[level]!, weight });
  });
  const odds = 2 ** score;
  return { score, probability: Number.isFinite(odds) ? odds / (1 + odds) : 1, contributions };
}

export function scorePair(model: MatchModel, a: PersonRecord, b: PersonRecord): PairScore {
  return scoreVector(model, comparisonVector(a, b));
}

/**
 * Level counts of random pairs, per comparison, each level starting at 1 (so that no level is
 * impossible). Apart from that 1, a comparison's counts add up to the random pairs that had it
 * (both values present): how much its u estimate can be trusted.
 */
export function randomPairLevelCounts(records: PersonRecord[], random: () => number, samples = 100_000, comparisons: readonly Comparison[] = COMPARISONS): number[][] {
  const counts = comparisons.map((c) => c.levels.map(() => 1));
  if (records.length < 2) return counts;
  for (let s = 0; s < samples; s++) {
    const a = records[Math.floor(random() * records.length)]!;
    const b = records[Math.floor(random() * records.length)]!;
    if (a === b) continue;
    comparisonVector(a, b, comparisons).forEach((level, c) => {
      if (level >= 0) counts[c]![level]!++;
    });
  }
  return counts;
}

/** Counts per level as frequencies per comparison. */
export function levelFrequencies(counts: number[][]): number[][] {
  return counts.map((levels) => {
    const total = levels.reduce((x, y) => x + y, 0);
    return levels.map((n) => n / total);
  });
}

/** Level frequencies of random pairs: the u probabilities. */
export function estimateU(records: PersonRecord[], random: () => number, samples = 100_000, comparisons: readonly Comparison[] = COMPARISONS): number[][] {
  return levelFrequencies(randomPairLevelCounts(records, random, samples, comparisons));
}

/**
 * m and lambda by expectation-maximisation over the candidate pairs' comparison vectors, with u
 * held at its estimate from random pairs.
 */
export function estimateM(model: MatchModel, vectors: number[][], iterations = 15): MatchModel {
  let current = model;
  for (let it = 0; it < iterations; it++) {
    const w = weights(current);
    const sums = current.m.map((levels) => levels.map(() => 0.01));
    let matchTotal = 0;
    for (const vector of vectors) {
      const p = scoreVector(current, vector, w).probability;
      matchTotal += p;
      vector.forEach((level, c) => {
        if (level >= 0) sums[c]![level]! += p;
      });
    }
    const m = sums.map((levels) => {
      const total = levels.reduce((x, y) => x + y, 0);
      return levels.map((n) => n / total);
    });
    current = { ...current, m, lambda: Math.min(0.999, Math.max(1e-6, matchTotal / Math.max(1, vectors.length))) };
  }
  return current;
}
