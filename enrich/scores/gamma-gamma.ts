/**
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie and Lee 2005, "RFM and CLV:
 * Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research 42(4);
 * Fader and Hardie 2013, "The Gamma-Gamma Model of Monetary Value"), and the customer lifetime
 * value it gives together with the BG/NBD model. docs/scores.md writes the formulas out.
 *
 * The model, for one customer:
 * - the values of the customer's transactions are independent draws z_i ~ Gamma(shape p, rate nu);
 *   the customer's mean transaction value is E[z] = p / nu;
 * - across customers, nu ~ Gamma(shape q, rate v).
 * A customer's history enters through x, the number of transactions whose values are averaged
 * (repeat purchases, x >= 1), and m, their mean value. The model assumes that spend per
 * transaction does not depend on how often a customer buys; check that the correlation of x and
 * m across the tenant's customers is weak before trusting it.
 *
 * Values are in the tenant's currency units (major or minor, the same throughout: event amounts
 * are integers in the minor unit); v is in those units, p and q have no unit.
 */
import { lnGamma, minimiseWithRestarts } from './numeric.ts';
import { expectedPurchases, type BgNbdCustomer, type BgNbdParams } from './bg-nbd.ts';

export interface GammaGammaParams {
  /** Shape of the gamma distribution of one transaction's value. */
  p: number;
  /** Shape of the gamma distribution of customers' rates nu. */
  q: number;
  /** Rate of the gamma distribution of customers' rates nu (in currency units). */
  v: number;
}

export interface GammaGammaCustomer {
  /** Number of transactions averaged (>= 1): in FHL's use, the repeat purchases. */
  x: number;
  /** Mean value of those transactions (> 0). */
  m: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  /** Number of customers the fit used. */
  customers: number;
}

/** The spend parameters of the CDNOW sample's example (FHL 2005, "RFM and CLV"), in US dollars. */
export const CDNOW_GAMMA_GAMMA: Readonly<GammaGammaParams> = Object.freeze({ p: 6.25, q: 3.74, v: 15.44 });

/**
 * Below this many customers with a repeat purchase, a tenant is not fitted and
 * defaultGammaGamma(its mean spend) is used.
 */
export const MIN_CUSTOMERS_FOR_GAMMA_GAMMA_FIT = 100;

/**
 * Parameters for a tenant too small to fit: the CDNOW shapes p = 6.25 and q = 3.74 (how much
 * transaction values vary around a customer's mean, and customers' means around the tenant's),
 * with v chosen so that the population mean p v / (q - 1) equals the tenant's mean transaction
 * value: v = meanSpend (q - 1) / p. Values are then shrunk towards the tenant's mean as in CDNOW.
 */
export function defaultGammaGamma(meanSpend: number): GammaGammaParams {
  if (!(Number.isFinite(meanSpend) && meanSpend > 0)) throw new RangeError(`meanSpend must be a positive number, got ${meanSpend}`);
  const { p, q } = CDNOW_GAMMA_GAMMA;
  return { p, q, v: (meanSpend * (q - 1)) / p };
}

function checkParams(g: GammaGammaParams): void {
  for (const k of ['p', 'q', 'v'] as const) {
    if (!(Number.isFinite(g[k]) && g[k] > 0)) throw new RangeError(`Gamma-Gamma parameter ${k} must be a positive number, got ${g[k]}`);
  }
}

function checkCustomer(c: GammaGammaCustomer, where: string): void {
  if (!(Number.isInteger(c.x) && c.x >= 1)) throw new RangeError(`${where}: x must be an integer >= 1, got ${c.x}`);
  if (!(Number.isFinite(c.m) && c.m > 0)) throw new RangeError(`${where}: m (mean spend) must be a positive number, got ${c.m}`);
}

/**
 * Log-likelihood of one customer's mean spend m over x transactions (Fader and Hardie 2013,
 * eq. 3): x m is a sum of x Gamma(p, nu) draws, so Gamma(p x, nu); mixing nu over Gamma(q, v)
 * and changing variable from the sum to the mean gives
 *   f(m | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) v^q m^(p x - 1) x^(p x) / (v + m x)^(p x + q)
 *   ln f = ln Gamma(p x + q) - ln Gamma(p x) - ln Gamma(q) + q ln v + (p x - 1) ln m
 *          + p x ln x - (p x + q) ln(v + m x).
 */
export function gammaGammaCustomerLogLikelihood(params: GammaGammaParams, c: GammaGammaCustomer): number {
  const { p, q, v } = params;
  const { x, m } = c;
  const px = p * x;
  return lnGamma(px + q) - lnGamma(px) - lnGamma(q) + q * Math.log(v) + (px - 1) * Math.log(m) + px * Math.log(x) - (px + q) * Math.log(v + m * x);
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, customers: readonly GammaGammaCustomer[]): number {
  let total = 0;
  for (const c of customers) total += gammaGammaCustomerLogLikelihood(params, c);
  return total;
}

/**
 * Maximum likelihood fit of (p, q, v) to customers with at least one repeat purchase, as
 * logarithms (so positive) by Nelder-Mead from several starts. The starts set v so that the
 * population mean p v / (q - 1) equals the data's mean of m, which suits any currency.
 */
export function fitGammaGamma(customers: readonly GammaGammaCustomer[]): GammaGammaFit {
  if (customers.length === 0) throw new RangeError('fitGammaGamma: no customers');
  customers.forEach((c, i) => checkCustomer(c, `fitGammaGamma: customer ${i}`));
  let meanM = 0;
  for (const c of customers) meanM += c.m / customers.length;
  const fromTheta = (t: number[]): GammaGammaParams => ({ p: Math.exp(t[0]!), q: Math.exp(t[1]!), v: Math.exp(t[2]!) });
  // The log-gamma terms depend on x only: computed once per distinct x and parameter point.
  const distinct = [...new Set(customers.map((c) => c.x))];
  const slot = new Map(distinct.map((x, i) => [x, i]));
  const idx = Int32Array.from(customers, (c) => slot.get(c.x)!);
  const xs = Float64Array.from(customers, (c) => c.x);
  const lnM = Float64Array.from(customers, (c) => Math.log(c.m));
  const lnX = Float64Array.from(customers, (c) => Math.log(c.x));
  const ms = Float64Array.from(customers, (c) => c.m);
  const perX = new Float64Array(distinct.length);
  const logLikelihood = ({ p, q, v }: GammaGammaParams) => {
    const common = q * Math.log(v) - lnGamma(q);
    distinct.forEach((x, k) => {
      perX[k] = lnGamma(p * x + q) - lnGamma(p * x) + common;
    });
    let total = 0;
    for (let i = 0; i < xs.length; i++) {
      const px = p * xs[i]!;
      total += perX[idx[i]!]! + (px - 1) * lnM[i]! + px * lnX[i]! - (px + q) * Math.log(v + ms[i]! * xs[i]!);
    }
    return total;
  };
  const objective = (t: number[]) => {
    if (t.some((u) => Math.abs(u) > 30)) return Infinity;
    const value = -logLikelihood(fromTheta(t));
    return Number.isFinite(value) ? value : Infinity;
  };
  const starts = [
    [1, 2],
    [4, 4],
    [10, 10],
  ].map(([p, q]) => [Math.log(p!), Math.log(q!), Math.log((meanM * (q! - 1)) / p!)]);
  const best = minimiseWithRestarts(objective, starts, { step: 0.5, fTolerance: 1e-9, xTolerance: 1e-7, maxIterations: 2000 });
  return { ...fromTheta(best.x), logLikelihood: -best.fx, customers: customers.length };
}

/**
 * The spend parameters to score a tenant with, from its customers (those with x = 0 are left
 * out: they have no repeat spend). With fewer than MIN_CUSTOMERS_FOR_GAMMA_GAMMA_FIT repeat
 * buyers, or a fit with q <= 1 (spend so heavy-tailed that the population mean is infinite), it
 * is defaultGammaGamma(mean of m). Returns null when no customer has a repeat purchase.
 */
export function gammaGammaParamsForTenant(
  customers: readonly GammaGammaCustomer[],
): { params: GammaGammaParams; source: 'fit' | 'default'; fit?: GammaGammaFit } | null {
  const repeaters = customers.filter((c) => c.x >= 1 && c.m > 0);
  if (repeaters.length === 0) return null;
  let mean = 0;
  for (const c of repeaters) mean += c.m / repeaters.length;
  if (repeaters.length < MIN_CUSTOMERS_FOR_GAMMA_GAMMA_FIT) return { params: defaultGammaGamma(mean), source: 'default' };
  const fit = fitGammaGamma(repeaters);
  if (!(fit.q > 1)) return { params: defaultGammaGamma(mean), source: 'default', fit };
  return { params: { p: fit.p, q: fit.q, v: fit.v }, source: 'fit', fit };
}

/**
 * E[mean transaction value | x, m] (Fader and Hardie 2013, eq. 5): given x transactions averaging
 * m, the customer's nu ~ Gamma(q + p x, v + x m), so E[p / nu] = p (v + x m) / (p x + q - 1):
 *   E = (q - 1) / (p x + q - 1) * (p v / (q - 1)) + p x / (p x + q - 1) * m,
 * a weighted mean of the population mean p v / (q - 1) and the customer's own mean m, the
 * weight on m growing with x. With x = 0 (no repeat purchase yet; m is then ignored) it is the
 * population mean, which needs q > 1. Requires p x + q > 1.
 */
export function expectedAverageValue(params: GammaGammaParams, x: number, m: number): number {
  checkParams(params);
  const { p, q, v } = params;
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`x must be a non-negative integer, got ${x}`);
  if (x === 0) {
    if (!(q > 1)) throw new RangeError(`the population mean spend p v / (q - 1) needs q > 1, got q = ${q}`);
    return (p * v) / (q - 1);
  }
  if (!(Number.isFinite(m) && m >= 0)) throw new RangeError(`m must be a non-negative number, got ${m}`);
  if (!(p * x + q > 1)) throw new RangeError(`expected spend needs p x + q > 1, got ${p * x + q}`);
  return (p * (v + x * m)) / (p * x + q - 1);
}

export interface ClvOptions {
  /** Length of the forecast, in the BG/NBD time unit (e.g. 365 for a year in days). */
  horizon: number;
  /** Discount rate per period (e.g. 0.01 a month); 0, the default, discounts nothing. */
  discountRatePerPeriod?: number;
  /** Length of one discount period in the BG/NBD time unit (e.g. 30 days). Default 1. */
  periodLength?: number;
  /** Share of revenue that is margin (0..1]. Default 1: the value is revenue. */
  margin?: number;
}

/**
 * Customer lifetime value over the next `horizon` (residual value: purchases to come, not past
 * ones), in currency units:
 *   CLV = margin * E[mean transaction value | x, m]
 *         * sum_{k=1..K} (E[Y(min(k P, H))] - E[Y((k - 1) P)]) / (1 + d)^k
 * with H the horizon, P the period length, K = ceil(H / P), d the discount rate per period and
 * E[Y(t)] the BG/NBD expected purchases in the next t (expectedPurchases): the purchases expected
 * in period k are discounted by k periods (an end-of-period convention, as in the lifetimes
 * library). With d = 0 this is margin * E[value] * E[Y(H)]. Spend and frequency are independent
 * in the models, so the product of the two expectations is the expectation of revenue.
 *
 * The customer `c` carries the BG/NBD history (x, tx, T) and m, the mean value of the repeat
 * purchases (ignored when x = 0, which gets the tenant's mean).
 */
export function customerLifetimeValue(
  bgParams: BgNbdParams,
  ggParams: GammaGammaParams,
  c: BgNbdCustomer & { m: number },
  options: ClvOptions,
): number {
  const { horizon } = options;
  const d = options.discountRatePerPeriod ?? 0;
  const period = options.periodLength ?? 1;
  const margin = options.margin ?? 1;
  if (!(Number.isFinite(horizon) && horizon >= 0)) throw new RangeError(`horizon must be a non-negative number, got ${horizon}`);
  if (!(Number.isFinite(d) && d > -1)) throw new RangeError(`discountRatePerPeriod must be a number above -1, got ${d}`);
  if (!(Number.isFinite(period) && period > 0)) throw new RangeError(`periodLength must be a positive number, got ${period}`);
  if (!(Number.isFinite(margin) && margin >= 0)) throw new RangeError(`margin must be a non-negative number, got ${margin}`);
  const value = expectedAverageValue(ggParams, c.x, c.m);
  if (d === 0) return margin * value * expectedPurchases(bgParams, c, horizon);
  let total = 0;
  let before = 0;
  const periods = Math.ceil(horizon / period);
  for (let k = 1; k <= periods; k++) {
    const upTo = expectedPurchases(bgParams, c, Math.min(k * period, horizon));
    total += (upTo - before) / Math.pow(1 + d, k);
    before = upTo;
  }
  return margin * value * total;
}
