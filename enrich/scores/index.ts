/**
 * The customer scores of the Customer 360, pure functions with no I/O (docs/scores.md):
 * - bg-nbd.ts: BG/NBD repeat-purchase model: fit per tenant, P(alive), expected purchases,
 *   probability of a purchase;
 * - gamma-gamma.ts: Gamma-Gamma spend model and customer lifetime value;
 * - engagement.ts: the 0..100 engagement score;
 * - lifecycle.ts: lifecycle stage, the 24-month inactivity flag, loyalty tiers and points;
 * - numeric.ts: log-gamma, 2F1, Nelder-Mead.
 */
export * from './bg-nbd.ts';
export * from './gamma-gamma.ts';
export * from './engagement.ts';
export * from './lifecycle.ts';
export { lnGamma, lnBeta, logAddExp, hyp2f1, nelderMead, minimiseWithRestarts } from './numeric.ts';
export type { NelderMeadOptions, NelderMeadResult } from './numeric.ts';
