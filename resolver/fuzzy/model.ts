/**
 * A probabilistic link as the decision reads it (decide.ts, state/resolve-event.ts): the entity
 * matcher's weight of the record against a profile, its match probability, and what each
 * comparison contributed (resolver/match/entity-score.ts).
 */
import type { Contribution } from '../match/entity-score.ts';

export type { Contribution };

export interface PairScore {
  /** The sum of the comparisons' match weights (log2 Bayes factor). */
  score: number;
  probability: number;
  contributions: Contribution[];
}
