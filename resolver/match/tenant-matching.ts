/** What the resolver links at: probabilities of a record being the profile. */
import { LINK_PROBABILITY, REVIEW_PROBABILITY } from './entity-score.ts';

/** Without thresholds of its own, a tenant links at a probability of 0.99 and suggests reviews from 0.8. */
export const DEFAULT_THRESHOLDS = { linkThreshold: LINK_PROBABILITY, reviewThreshold: REVIEW_PROBABILITY };
