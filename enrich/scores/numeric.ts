/**
 * The small numeric pieces the customer scores need, written here rather than pulled from npm:
 * the project has no numeric library installed, and each piece is short and tested on known
 * values (test/unit/scores.test.ts). Well-kept alternatives, should the project ever want them:
 * `@stdlib/math-base-special-gammaln` (log-gamma) and `@stdlib/math-base-special-hyp2f1`
 * (Gauss hypergeometric function); `fmin` (Nelder-Mead) is unmaintained since 2017.
 *
 * - lnGamma: natural log of the gamma function, Lanczos approximation.
 * - logAddExp: log(e^a + e^b) without overflow.
 * - hyp2f1: the Gauss hypergeometric function 2F1(a, b; c; z) for real z < 1, by its series.
 * - nelderMead: derivative-free minimisation (Nelder and Mead 1965).
 */

// Lanczos approximation, g = 7, n = 9 (the coefficients of Numerical Recipes 3rd ed. / Boost /
// Python's statistics module). Relative error below 1e-15 for x > 0.5; smaller x use the
// reflection formula Gamma(x) Gamma(1 - x) = pi / sin(pi x).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln |Gamma(x)|. For x > 0 (every use in the scores) this is ln Gamma(x).
 * Gamma(x) = sqrt(2 pi) t^(x - 1/2) e^-t A(x), t = x - 1/2 + g, with A the Lanczos sum.
 */
export function lnGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0 && Number.isInteger(x)) return Infinity; // poles at 0, -1, -2, ...
  if (x < 0.5) {
    // Reflection: ln|Gamma(x)| = ln(pi / |sin(pi x)|) - ln|Gamma(1 - x)|.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/** log(e^a + e^b), exact where e^a or e^b would overflow or underflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

const SERIES_MAX_TERMS = 1_000_000;

/**
 * Sum of the hypergeometric series sum_n (a)_n (b)_n / ((c)_n n!) z^n for 0 <= z < 1, where
 * (q)_n is the rising factorial. Successive terms have the ratio (a+n)(b+n) / ((c+n)(n+1)) z,
 * so each term is the previous one times that ratio. Stops when a term no longer changes the
 * sum in double precision (after the ratio has fallen below 1, so the tail is geometric).
 */
function hypSeries(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < SERIES_MAX_TERMS; n++) {
    const ratio = ((a + n) * (b + n)) / ((c + n) * (n + 1)) * z;
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    if (Math.abs(ratio) < 1 && Math.abs(term) <= 1e-17 * Math.abs(sum)) return sum;
    if (!Number.isFinite(sum)) break;
  }
  throw new RangeError(`hyp2f1(${a}, ${b}; ${c}; ${z}): the series did not converge`);
}

/**
 * Gauss hypergeometric function 2F1(a, b; c; z) for real z < 1 and c not a non-positive integer.
 *
 * - 0 <= z < 1: the series converges; its terms behave like n^(a+b-c-1) z^n for large n. Euler's
 *   transformation 2F1(a, b; c; z) = (1 - z)^(c-a-b) 2F1(c-a, c-b; c; z) gives a series whose
 *   terms behave like n^(c-a-b-1) z^n; the one with the smaller exponent is summed, which matters
 *   when z is close to 1.
 * - z < 0: Pfaff's transformation 2F1(a, b; c; z) = (1 - z)^(-a) 2F1(a, c-b; c; z / (z - 1))
 *   maps z into [0, 1).
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (![a, b, c, z].every(Number.isFinite)) throw new RangeError('hyp2f1: arguments must be finite');
  if (c <= 0 && Number.isInteger(c)) throw new RangeError('hyp2f1: c must not be 0 or a negative integer');
  if (z >= 1) throw new RangeError('hyp2f1: z must be below 1');
  if (z === 0) return 1;
  if (z < 0) return Math.pow(1 - z, -a) * hyp2f1(a, c - b, c, z / (z - 1));
  const direct = a + b - c - 1;
  const euler = c - a - b - 1;
  if (z > 0.5 && euler < direct) return Math.pow(1 - z, c - a - b) * hypSeries(c - a, c - b, c, z);
  return hypSeries(a, b, c, z);
}

export interface NelderMeadOptions {
  /** Initial step along each coordinate (one vertex per coordinate). Default 0.5. */
  step?: number;
  /** Stop when the simplex's function values span less than this. Default 1e-10. */
  fTolerance?: number;
  /** ... and every vertex is within this of the best one, coordinate-wise. Default 1e-8. */
  xTolerance?: number;
  /** Maximum number of iterations. Default 200 per dimension. */
  maxIterations?: number;
}

export interface NelderMeadResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimises f by the Nelder-Mead simplex method with the standard coefficients (reflection 1,
 * expansion 2, contraction 1/2, shrink 1/2), starting from the simplex x0, x0 + step e_i.
 * A value that is NaN counts as +Infinity, so f can refuse a point by returning NaN or Infinity.
 * Nelder-Mead can stall on a degenerate simplex; callers restart from the answer (see
 * minimiseWithRestarts).
 */
export function nelderMead(f: (x: number[]) => number, x0: number[], options: NelderMeadOptions = {}): NelderMeadResult {
  const n = x0.length;
  const step = options.step ?? 0.5;
  const fTol = options.fTolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 200 * n;
  const value = (x: number[]) => {
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };
  let simplex: { x: number[]; fx: number }[] = [{ x: x0.slice(), fx: value(x0) }];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] = x[i]! + step;
    simplex.push({ x, fx: value(x) });
  }
  const combine = (p: number[], q: number[], t: number) => p.map((pi, i) => pi + t * (q[i]! - pi));
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((u, v) => u.fx - v.fx);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    const fSpread = Math.abs(worst.fx - best.fx);
    let xSpread = 0;
    for (const v of simplex) for (let i = 0; i < n; i++) xSpread = Math.max(xSpread, Math.abs(v.x[i]! - best.x[i]!));
    if (Number.isFinite(best.fx) && fSpread <= fTol && xSpread <= xTol) {
      converged = true;
      break;
    }
    // Centroid of every vertex but the worst.
    const centroid = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i]! += simplex[j]!.x[i]! / n;
    const reflected = combine(centroid, worst.x, -1);
    const fr = value(reflected);
    if (fr < best.fx) {
      const expanded = combine(centroid, worst.x, -2);
      const fe = value(expanded);
      simplex[n] = fe < fr ? { x: expanded, fx: fe } : { x: reflected, fx: fr };
      continue;
    }
    if (fr < simplex[n - 1]!.fx) {
      simplex[n] = { x: reflected, fx: fr };
      continue;
    }
    // Contraction: outside when the reflected point beats the worst, inside otherwise.
    const outside = fr < worst.fx;
    const contracted = combine(centroid, worst.x, outside ? -0.5 : 0.5);
    const fc = value(contracted);
    if (fc < (outside ? fr : worst.fx)) {
      simplex[n] = { x: contracted, fx: fc };
      continue;
    }
    // Shrink every vertex towards the best.
    simplex = simplex.map((v, j) => {
      if (j === 0) return v;
      const x = combine(best.x, v.x, 0.5);
      return { x, fx: value(x) };
    });
  }
  simplex.sort((u, v) => u.fx - v.fx);
  return { x: simplex[0]!.x, fx: simplex[0]!.fx, iterations, converged };
}

/**
 * Nelder-Mead from each start, each run restarted from its own answer (a fresh simplex) until a
 * restart improves f by less than 1e-9 (at most `restarts` times); returns the best answer.
 */
export function minimiseWithRestarts(
  f: (x: number[]) => number,
  starts: number[][],
  options: NelderMeadOptions & { restarts?: number } = {},
): NelderMeadResult {
  let best: NelderMeadResult | undefined;
  for (const start of starts) {
    let result = nelderMead(f, start, options);
    for (let r = 0; r < (options.restarts ?? 3); r++) {
      const again = nelderMead(f, result.x, { ...options, step: (options.step ?? 0.5) / 4 });
      const gain = result.fx - again.fx;
      result = again.fx <= result.fx ? { ...again, iterations: result.iterations + again.iterations } : result;
      if (!(gain > 1e-9)) break;
    }
    if (!best || result.fx < best.fx) best = result;
  }
  if (!best) throw new RangeError('minimiseWithRestarts: no start given');
  return best;
}
