/**
 * The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005, "'Counting Your Customers'
 * the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2)), fitted per
 * tenant, and the customer scores it gives: the probability that a customer is still active
 * ("alive"), the expected number of purchases in a coming period, and the probability of at
 * least one purchase in it. docs/scores.md writes the formulas out.
 *
 * The model, for one customer, with time counted from the customer's first purchase:
 * - while active, the customer buys at the times of a Poisson process of rate lambda;
 * - after each repeat purchase the customer drops out (for good) with probability p;
 * - across customers, lambda ~ Gamma(shape r, rate alpha) and p ~ Beta(a, b).
 *
 * A customer's history enters only through (x, tx, T): x repeat purchases (purchases after the
 * first), tx the time of the last purchase and T the time of observation (now), both since the
 * first purchase, so 0 <= tx <= T and tx = 0 when x = 0. Any time unit works (days, weeks) as
 * long as it is the same throughout: alpha and the horizons are in that unit.
 */
import { lnGamma, logAddExp, hyp2f1, minimiseWithRestarts } from './numeric.ts';

export interface BgNbdParams {
  /** Shape of the gamma distribution of purchase rates. */
  r: number;
  /** Rate of the gamma distribution of purchase rates, in the time unit of the data. */
  alpha: number;
  /** First shape of the beta distribution of dropout probabilities. */
  a: number;
  /** Second shape of the beta distribution of dropout probabilities. */
  b: number;
}

export interface BgNbdCustomer {
  /** Repeat purchases: purchases after the first. */
  x: number;
  /** Time of the last purchase since the first (0 when x = 0). */
  tx: number;
  /** Time since the first purchase (the customer's age). */
  T: number;
}

export interface BgNbdFit extends BgNbdParams {
  /** Log-likelihood of the data at the fitted parameters. */
  logLikelihood: number;
  /** Number of customers the fit used. */
  customers: number;
}

/** The published fit on the CDNOW sample (Fader, Hardie and Lee 2005, table 2), time in weeks. */
export const CDNOW_BG_NBD_WEEKS: Readonly<BgNbdParams> = Object.freeze({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 });

/**
 * Parameters used for a tenant too small to fit (see MIN_CUSTOMERS_FOR_BG_NBD_FIT): the CDNOW
 * fit with time in days. A rate per week is 7 times a rate per day, so lambda_day =
 * lambda_week / 7 ~ Gamma(r, 7 alpha_week): alpha = 4.414 * 7 = 30.898 days; r, a and b have no
 * unit. It describes infrequent retail buyers (a new customer makes r / alpha = 0.0079 repeat
 * purchases a day, about one every 4 months, and drops out after a purchase with probability
 * a / (a + b) = 0.25 on average): a prior, not a tenant's truth.
 */
export const DEFAULT_BG_NBD: Readonly<BgNbdParams> = Object.freeze({ r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 });

/**
 * A tenant is fitted when it has at least this many customers and at least
 * MIN_REPEAT_CUSTOMERS_FOR_BG_NBD_FIT of them made a repeat purchase; below that the maximum
 * likelihood estimates are too noisy (the dropout parameters a and b are identified only by
 * repeat buyers) and DEFAULT_BG_NBD is used.
 */
export const MIN_CUSTOMERS_FOR_BG_NBD_FIT = 500;
export const MIN_REPEAT_CUSTOMERS_FOR_BG_NBD_FIT = 100;

function checkParams(p: BgNbdParams): void {
  for (const k of ['r', 'alpha', 'a', 'b'] as const) {
    if (!(Number.isFinite(p[k]) && p[k] > 0)) throw new RangeError(`BG/NBD parameter ${k} must be a positive number, got ${p[k]}`);
  }
}

function checkCustomer(c: BgNbdCustomer, where = 'customer'): void {
  const { x, tx, T } = c;
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`${where}: x (repeat purchases) must be a non-negative integer, got ${x}`);
  if (!(Number.isFinite(T) && T >= 0)) throw new RangeError(`${where}: T must be a non-negative number, got ${T}`);
  if (!(Number.isFinite(tx) && tx >= 0 && tx <= T)) throw new RangeError(`${where}: tx must be between 0 and T (${T}), got ${tx}`);
  if (x === 0 && tx !== 0) throw new RangeError(`${where}: tx must be 0 when x is 0, got ${tx}`);
}

/**
 * Log-likelihood of one customer's (x, tx, T) (FHL 2005, eq. 6):
 *   L = A1 A2 (A3 + [x > 0] A4), where
 *   ln A1 = ln Gamma(r + x) - ln Gamma(r) + r ln alpha
 *   ln A2 = ln Gamma(a + b) + ln Gamma(b + x) - ln Gamma(b) - ln Gamma(a + b + x)
 *   ln A3 = -(r + x) ln(alpha + T)
 *   ln A4 = ln a - ln(b + x - 1) - (r + x) ln(alpha + tx)
 * A3 is the customer still active at T, A4 the customer dropped out right after the last
 * purchase at tx.
 */
export function bgNbdCustomerLogLikelihood(params: BgNbdParams, c: BgNbdCustomer): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = c;
  const lnA1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const lnA2 = lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x);
  const lnA3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return lnA1 + lnA2 + lnA3;
  const lnA4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return lnA1 + lnA2 + logAddExp(lnA3, lnA4);
}

/** Sum of bgNbdCustomerLogLikelihood over customers. */
export function bgNbdLogLikelihood(params: BgNbdParams, customers: readonly BgNbdCustomer[]): number {
  return makeLogLikelihood(customers)(params);
}

/**
 * The data's log-likelihood as a function of the parameters, with the per-customer work done
 * once: customers with the same (x, tx, T) (common when times are whole days) are counted once
 * with their multiplicity, and the log-gamma terms depend on x only through its distinct values.
 */
function makeLogLikelihood(customers: readonly BgNbdCustomer[]): (p: BgNbdParams) => number {
  const groups = new Map<string, { x: number; tx: number; T: number; count: number }>();
  for (const c of customers) {
    const key = `${c.x}|${c.tx}|${c.T}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { x: c.x, tx: c.tx, T: c.T, count: 1 });
  }
  const rows = [...groups.values()];
  const n = rows.length;
  const distinct = [...new Set(rows.map((c) => c.x))];
  const slot = new Map(distinct.map((x, i) => [x, i]));
  const xs = new Float64Array(n);
  const txs = new Float64Array(n);
  const Ts = new Float64Array(n);
  const counts = new Float64Array(n);
  const idx = new Int32Array(n);
  rows.forEach((c, i) => {
    xs[i] = c.x;
    txs[i] = c.tx;
    Ts[i] = c.T;
    counts[i] = c.count;
    idx[i] = slot.get(c.x)!;
  });
  const perX = new Float64Array(distinct.length);
  return ({ r, alpha, a, b }) => {
    const lnGr = lnGamma(r);
    const lnGab = lnGamma(a + b);
    const lnGb = lnGamma(b);
    const rLnAlpha = r * Math.log(alpha);
    const lnA = Math.log(a);
    distinct.forEach((x, k) => {
      perX[k] = lnGamma(r + x) - lnGr + rLnAlpha + lnGab + lnGamma(b + x) - lnGb - lnGamma(a + b + x);
    });
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const lnA3 = -(r + x) * Math.log(alpha + Ts[i]!);
      const tail = x === 0 ? lnA3 : logAddExp(lnA3, lnA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + txs[i]!));
      total += counts[i]! * (perX[idx[i]!]! + tail);
    }
    return total;
  };
}

/**
 * Maximum likelihood fit of the BG/NBD parameters to one tenant's customers.
 *
 * The parameters are fitted as their logarithms (theta = ln r, ln alpha, ln a, ln b), which keeps
 * them positive without constraints, by Nelder-Mead from several starts (each restarted from its
 * answer until it stops improving); the best answer wins. The starts put r / alpha, the mean
 * purchase rate of a new customer, at the data's mean repeat rate sum(x) / sum(T), so that they
 * suit any time unit.
 */
export function fitBgNbd(customers: readonly BgNbdCustomer[]): BgNbdFit {
  if (customers.length === 0) throw new RangeError('fitBgNbd: no customers');
  customers.forEach((c, i) => checkCustomer(c, `fitBgNbd: customer ${i}`));
  const ll = makeLogLikelihood(customers);
  const fromTheta = (t: number[]): BgNbdParams => ({ r: Math.exp(t[0]!), alpha: Math.exp(t[1]!), a: Math.exp(t[2]!), b: Math.exp(t[3]!) });
  const objective = (t: number[]) => {
    // Beyond e^+-30 the likelihood is flat or overflows: refuse such points.
    if (t.some((v) => Math.abs(v) > 30)) return Infinity;
    const v = -ll(fromTheta(t));
    return Number.isFinite(v) ? v : Infinity;
  };
  let sumX = 0;
  let sumT = 0;
  for (const c of customers) {
    sumX += c.x;
    sumT += c.T;
  }
  const rate = sumX > 0 && sumT > 0 ? sumX / sumT : sumT > 0 ? 1 / sumT : 1;
  const starts: number[][] = [];
  for (const r of [0.25, 1]) {
    for (const [a, b] of [
      [0.8, 2.5],
      [2, 8],
    ] as const) {
      starts.push([Math.log(r), Math.log(r / rate), Math.log(a), Math.log(b)]);
    }
  }
  const best = minimiseWithRestarts(objective, starts, { step: 0.5, fTolerance: 1e-9, xTolerance: 1e-7, maxIterations: 2000 });
  const params = fromTheta(best.x);
  return { ...params, logLikelihood: -best.fx, customers: customers.length };
}

/** Largest number of customers bgNbdParamsForTenant fits on; a larger tenant is sampled. */
export const MAX_CUSTOMERS_FOR_BG_NBD_FIT = 50_000;

/**
 * The parameters to score a tenant with: its own fit when it has enough customers and repeat
 * buyers (MIN_CUSTOMERS_FOR_BG_NBD_FIT, MIN_REPEAT_CUSTOMERS_FOR_BG_NBD_FIT), else `fallback`
 * (DEFAULT_BG_NBD, which is in days: pass a fallback in your unit if the data is not in days).
 * The parameters describe the population, so a tenant with more than `maxCustomers` customers is
 * fitted on every k-th of them (k = ceil(n / maxCustomers)): deterministic, and representative
 * unless the order of the list follows the customers' behaviour within each stride.
 */
export function bgNbdParamsForTenant(
  customers: readonly BgNbdCustomer[],
  options: { fallback?: BgNbdParams; maxCustomers?: number } = {},
): { params: BgNbdParams; source: 'fit' | 'default'; fit?: BgNbdFit } {
  const fallback = options.fallback ?? DEFAULT_BG_NBD;
  const repeaters = customers.filter((c) => c.x > 0).length;
  if (customers.length < MIN_CUSTOMERS_FOR_BG_NBD_FIT || repeaters < MIN_REPEAT_CUSTOMERS_FOR_BG_NBD_FIT) {
    return { params: { ...fallback }, source: 'default' };
  }
  const max = options.maxCustomers ?? MAX_CUSTOMERS_FOR_BG_NBD_FIT;
  const stride = Math.ceil(customers.length / max);
  const sample = stride > 1 ? customers.filter((_, i) => i % stride === 0) : customers;
  const fit = fitBgNbd(sample);
  return { params: { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b }, source: 'fit', fit };
}

/**
 * P(alive | x, tx, T): the probability that the customer has not dropped out by T
 * (FHL 2005, eq. 11; Fader and Hardie's note "Computing P(alive) using the BG/NBD model"):
 *   P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x))
 * 1 when x = 0: in this model dropout happens only right after a repeat purchase, so a customer
 * who never bought again is still active (a known limit of BG/NBD; the lifecycle rules also look
 * at how long ago the customer was seen). For x > 0 it falls as T - tx grows.
 */
export function pAlive(params: BgNbdParams, c: BgNbdCustomer): number {
  checkParams(params);
  checkCustomer(c);
  return 1 / (1 + deadOdds(params, c));
}

/** P(dropped out) / P(alive) = [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x). */
function deadOdds({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: BgNbdCustomer): number {
  if (x === 0) return 0;
  return (a / (b + x - 1)) * Math.exp((r + x) * Math.log((alpha + T) / (alpha + tx)));
}

/**
 * E[Y(t) | x, tx, T]: the expected number of purchases in (T, T + t] (FHL 2005, eq. 10):
 *
 *   E = (a + b + x - 1) / (a - 1)
 *       * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z)]
 *       / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + tx))^(r + x)),
 *   z = t / (alpha + T + t).
 *
 * Computed in an equivalent form that stays accurate when a is near 1 (where the formula is
 * 0 / 0) and when x is large (where the 2F1 series above converges slowly). Euler's
 * transformation gives ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z)
 * = (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), and since (a - 1)_n = (a - 1) (a)_(n-1),
 *   2F1(a + b - 1 - r, a - 1; c; z) = 1 + (a - 1) G,  G = sum_{n>=1} (a + b - 1 - r)_n (a)_(n-1) / ((c)_n n!) z^n,
 * with c = a + b + x - 1, so the bracket divided by (a - 1) is
 *   (1 - (1 - z)^(a - 1)) / (a - 1) - (1 - z)^(a - 1) G,
 * whose first term is -expm1((a - 1) L) / (a - 1) with L = ln(1 - z) (-> -L as a -> 1).
 * G's terms behave like n^(a - r - x - 2) z^n: fast for repeat buyers.
 *
 * With x = tx = T = 0 this is the unconditional E[X(t)] of a just-acquired customer.
 */
export function expectedPurchases(params: BgNbdParams, c: BgNbdCustomer, horizon: number): number {
  checkParams(params);
  checkCustomer(c);
  if (!(Number.isFinite(horizon) && horizon >= 0)) throw new RangeError(`horizon must be a non-negative number, got ${horizon}`);
  if (horizon === 0) return 0;
  const { r, alpha, a, b } = params;
  const { x, T } = c;
  const z = horizon / (alpha + T + horizon);
  const L = Math.log((alpha + T) / (alpha + T + horizon)); // ln(1 - z)
  const am1 = a - 1;
  const first = am1 === 0 ? -L : -Math.expm1(am1 * L) / am1;
  const cc = a + b + x - 1;
  const p = a + b - 1 - r;
  // G = sum_{n>=1} g_n, g_1 = p z / c, g_{n+1} = g_n (p + n)(a + n - 1) / ((c + n)(n + 1)) z.
  let term = (p / cc) * z;
  let G = term;
  for (let n = 1; n < 1_000_000; n++) {
    const ratio = (((p + n) * (a + n - 1)) / ((cc + n) * (n + 1))) * z;
    term *= ratio;
    G += term;
    if (term === 0 || (Math.abs(ratio) < 1 && Math.abs(term) <= 1e-17 * Math.abs(G))) break;
  }
  const bracket = first - Math.exp(am1 * L) * G;
  return ((a + b + x - 1) * bracket) / (1 + deadOdds(params, c));
}

/**
 * The same expectation straight from FHL 2005 eq. 10 with the general hyp2f1; kept to check
 * expectedPurchases against (it fails at a = 1 and is slower for large x).
 */
export function expectedPurchasesByEq10(params: BgNbdParams, c: BgNbdCustomer, horizon: number): number {
  const { r, alpha, a, b } = params;
  const { x, T } = c;
  const ratio = (alpha + T) / (alpha + T + horizon);
  const f = hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + T + horizon));
  return (((a + b + x - 1) / (a - 1)) * (1 - Math.pow(ratio, r + x) * f)) / (1 + deadOdds(params, c));
}

/**
 * P(at least one purchase in (T, T + t] | x, tx, T), exact under the model (not an
 * approximation):
 *   P = P(alive) (1 - ((alpha + T) / (alpha + T + t))^(r + x)).
 * Why: a customer who dropped out never buys again. A customer active at T buys nothing in the
 * next t with probability e^(-lambda t) (dropout happens only right after a purchase, so with no
 * purchase there is no dropout either), and given active at T and the history, lambda ~
 * Gamma(r + x, alpha + T) (the active branch of the likelihood is lambda^x e^(-lambda T) times a
 * factor free of lambda), whose mean of e^(-lambda t) is ((alpha + T) / (alpha + T + t))^(r + x).
 * For a just-acquired customer (x = T = 0) it is 1 - (alpha / (alpha + t))^r, one minus the
 * model's P(X(t) = 0).
 */
export function probabilityOfPurchase(params: BgNbdParams, c: BgNbdCustomer, horizon: number): number {
  checkParams(params);
  checkCustomer(c);
  if (!(Number.isFinite(horizon) && horizon >= 0)) throw new RangeError(`horizon must be a non-negative number, got ${horizon}`);
  const { r, alpha } = params;
  const { x, T } = c;
  const none = Math.exp((r + x) * Math.log((alpha + T) / (alpha + T + horizon)));
  return (1 - none) / (1 + deadOdds(params, c));
}

/**
 * The (x, tx, T) of a customer from the times of all their purchases (any order; e.g. epoch
 * milliseconds) and the time now, in units of `unitMs` (default one day). Two purchases at the
 * same instant count as two. Returns undefined for a customer with no purchase.
 */
export function bgNbdCustomerFromPurchases(purchaseTimes: readonly number[], now: number, unitMs = 86_400_000): BgNbdCustomer | undefined {
  if (purchaseTimes.length === 0) return undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const t of purchaseTimes) {
    if (!Number.isFinite(t)) throw new RangeError(`purchase time must be a finite number, got ${t}`);
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const T = Math.max(0, (Math.max(now, last) - first) / unitMs);
  const x = purchaseTimes.length - 1;
  return { x, tx: x === 0 ? 0 : (last - first) / unitMs, T };
}
