/**
 * A record scored against an entity as a whole (Senzing: match records to entities, not records
 * to records): for each comparison, the best level any member shows, so an entity known by a
 * nickname and a full name, an old and a new address, matches the record through whichever
 * member agrees. The weight of a level is log2(m / u), with u of an exact name, city or postcode
 * the frequency of that value; a veto level (different given names, dates of birth ten years
 * apart) refuses the link outright unless a national ID agrees.
 *
 * The link threshold grows with the number of entities the record could belong to (the prior
 * odds that it is one particular entity fall as the tenant grows): a weight W links when
 * W - log2(entities) clears the log-odds of the precision wanted.
 */
import { COMPARISONS, NATIONAL_ID, type Comparison } from './comparisons.ts';
import type { FrequencyTable } from './frequencies.ts';
import { tfValue } from './frequencies.ts';
import type { MatchRecord } from './record.ts';

export interface Contribution {
  comparison: string;
  level: string;
  weight: number;
}

export interface EntityScore {
  /** Sum of the levels' match weights (log2 Bayes factor). */
  weight: number;
  /** Why the link is refused whatever the weight; null when nothing vetoes it. */
  veto: string | null;
  contributions: Contribution[];
}

export interface MatchModel {
  /** P(level | different people), per comparison and level, from random pairs of the tenant's records. */
  u: number[][];
}

/** The probability of the record being the entity at which it links: the precision wanted. */
export const LINK_PROBABILITY = 0.99;
/** Below the link, a probable match worth a person's look. */
export const REVIEW_PROBABILITY = 0.8;
/** The same as log-odds above the prior. */
export const LINK_LOG_ODDS = Math.log2(LINK_PROBABILITY / (1 - LINK_PROBABILITY));
export const REVIEW_LOG_ODDS = Math.log2(REVIEW_PROBABILITY / (1 - REVIEW_PROBABILITY));
/** Share of arriving records that belong to an entity already known (for the prior). */
const PRIOR_DUPLICATE_SHARE = 0.5;

/**
 * The fewest entities the prior assumes: a young tenant (or a file being loaded) grows faster
 * than its counts are refreshed, and a record of it is no likelier to be one of few profiles.
 */
const MIN_ENTITIES = 10_000;
const priorBits = (entities: number) => Math.log2(Math.max(MIN_ENTITIES, entities)) - Math.log2(PRIOR_DUPLICATE_SHARE);

export const linkWeight = (entities: number) => priorBits(entities) + LINK_LOG_ODDS;
export const reviewWeight = (entities: number) => priorBits(entities) + REVIEW_LOG_ODDS;

/** The probability that the record is this entity, from the weight and the number of entities. */
export function matchProbability(weight: number, entities: number): number {
  const logOdds = weight - priorBits(entities);
  const odds = 2 ** logOdds;
  return Number.isFinite(odds) ? odds / (1 + odds) : 1;
}

/** u for every level from the comparisons' generic priors, for a tenant with too few records to estimate. */
export function defaultModel(comparisons: readonly Comparison[] = COMPARISONS): MatchModel {
  return { u: comparisons.map((c) => c.levels.map((l) => l.u)) };
}

/** Pairs' worth of the generic u each estimate starts from, so a field the records seldom hold keeps it. */
const PRIOR_PAIRS = 200;

/** u estimated from random pairs of records (nearly all of different people), starting from the generic u. */
export function estimateModel(records: readonly MatchRecord[], random: () => number, samples = 200_000, comparisons: readonly Comparison[] = COMPARISONS): MatchModel {
  const prior = defaultModel(comparisons);
  if (records.length < 50) return prior;
  const counts = prior.u.map((levels) => levels.map((u) => u * PRIOR_PAIRS));
  for (let s = 0; s < samples; s++) {
    const a = records[Math.floor(random() * records.length)]!;
    const b = records[Math.floor(random() * records.length)]!;
    if (a === b) continue;
    comparisons.forEach((c, i) => {
      const level = c.level(a, b);
      if (level >= 0) counts[i]![level]!++;
    });
  }
  return { u: counts.map((levels) => levels.map((n) => n / levels.reduce((x, y) => x + y, 0))) };
}

export interface Scorer {
  /** The record against the members of an entity. */
  score(record: MatchRecord, members: readonly MatchRecord[]): EntityScore;
  /** Two entities against each other: the best level of any pair of their members. */
  scoreEntities(a: readonly MatchRecord[], b: readonly MatchRecord[]): EntityScore;
}

export function createScorer(model: MatchModel, frequencies: FrequencyTable, comparisons: readonly Comparison[] = COMPARISONS): Scorer {
  const weights = model.u.map((levels, c) => levels.map((u, l) => Math.log2(comparisons[c]!.levels[l]!.m / Math.max(u, 1e-9))));
  /** The weight of a level for this pair, adjusted by the value's frequency where the level says so. */
  const weightOf = (c: number, level: number, a: MatchRecord, b: MatchRecord) => {
    const spec = comparisons[c]!.levels[level]!;
    if (!spec.tf) return weights[c]![level]!;
    const value = level === 0 ? tfValue(a, spec.tf) : tfValue(a, spec.tf) === tfValue(b, spec.tf) ? tfValue(a, spec.tf) : null;
    if (value === null) return weights[c]![level]!;
    // An exact match: u is the value's frequency. A partial level that needs the field equal (an
    // email's local part within two edits at the same domain): its u scaled by how much more or
    // less common this value is than the field's values are on average.
    const frequency = frequencies.frequency(spec.tf, value);
    if (frequency === null) return weights[c]![level]!;
    const u = level === 0 ? frequency : model.u[c]![level]! * Math.min(1, frequency / frequencies.agreement(spec.tf));
    return Math.log2(spec.m / Math.max(u, 1e-9));
  };

  const count = comparisons.length;
  const vetoOf = comparisons.map((c) => c.levels.find((l) => l.veto)?.veto ?? null);
  // The best level and its weight per comparison so far, and whether some pair showed a veto level
  // (what a weak best level cannot stand against): one set for the scorer, reset for every score
  // (scoring is synchronous and never re-entered).
  const levels: number[] = comparisons.map(() => -1);
  const bestWeights: number[] = comparisons.map(() => -Infinity);
  const vetoed: boolean[] = comparisons.map(() => false);

  function reset(): void {
    for (let c = 0; c < count; c++) {
      levels[c] = -1;
      bestWeights[c] = -Infinity;
      vetoed[c] = false;
    }
  }

  /** One comparison of a pair of records: keeps the most alike level (the heaviest weight among equals). */
  function compareOn(c: number, a: MatchRecord, b: MatchRecord): void {
    const comparison = comparisons[c]!;
    const level = comparison.level(a, b);
    if (level < 0) return;
    if (comparison.levels[level]!.veto) vetoed[c] = true;
    const current = levels[c]!;
    if (current >= 0 && level > current) return;
    const w = weightOf(c, level, a, b);
    if (current < 0 || level < current || w > bestWeights[c]!) {
      levels[c] = level;
      bestWeights[c] = w;
    }
  }

  /** Whether an earlier record of the list is alike the k-th one in the comparison. */
  function alikeBefore(alike: (x: MatchRecord, y: MatchRecord) => boolean, records: readonly MatchRecord[], k: number): boolean {
    const record = records[k]!;
    for (let j = 0; j < k; j++) if (alike(records[j]!, record)) return true;
    return false;
  }

  /** The records but those alike an earlier one in the comparison. */
  function distinctIn(c: number, records: readonly MatchRecord[]): readonly MatchRecord[] {
    const alike = comparisons[c]!.alike;
    return alike ? records.filter((_, k) => k === 0 || !alikeBefore(alike, records, k)) : records;
  }

  /**
   * The record against each of the records, per comparison once for each distinct value: the
   * best level and weight over pairs, and whether any showed a veto level, do not depend on how
   * often or in which order a pair is seen, so a member alike an earlier one adds nothing.
   */
  function compareAll(record: MatchRecord, records: readonly MatchRecord[]): void {
    for (let k = 0; k < records.length; k++) {
      const other = records[k]!;
      for (let c = 0; c < count; c++) {
        const alike = comparisons[c]!.alike;
        if (k > 0 && alike && alikeBefore(alike, records, k)) continue;
        compareOn(c, record, other);
      }
    }
  }

  function result(): EntityScore {
    let weight = 0;
    let veto: string | null = null;
    // A national ID within two edits (of six or more characters) outweighs a veto: typos, not another person.
    const idAgrees = levels[NATIONAL_ID]! >= 0 && levels[NATIONAL_ID]! <= 2;
    for (let c = 0; c < count; c++) {
      const level = levels[c]!;
      if (level < 0) continue;
      weight += bestWeights[c]!;
      if (!idAgrees && veto === null) {
        const spec = comparisons[c]!.levels[level]!;
        if (spec.veto) veto = spec.veto;
        else if (spec.weak && vetoed[c]) veto = vetoOf[c]!;
      }
    }
    // What each comparison contributed, built when asked (most scores are only weighed).
    const shownLevels = levels.slice();
    const shownWeights = bestWeights.slice();
    let contributions: Contribution[] | null = null;
    return {
      weight,
      veto,
      get contributions() {
        if (contributions === null) {
          contributions = [];
          for (let c = 0; c < count; c++) {
            const level = shownLevels[c]!;
            if (level >= 0) contributions.push({ comparison: comparisons[c]!.name, level: comparisons[c]!.levels[level]!.name, weight: shownWeights[c]! });
          }
        }
        return contributions;
      },
    };
  }

  return {
    score(record, members) {
      reset();
      compareAll(record, members);
      return result();
    },
    scoreEntities(a, b) {
      reset();
      // Every pair of the records distinct in each comparison (each pair stands for those alike it).
      for (let c = 0; c < count; c++) {
        const xs = distinctIn(c, a);
        const ys = distinctIn(c, b);
        for (const x of xs) for (const y of ys) compareOn(c, x, y);
      }
      return result();
    },
  };
}
