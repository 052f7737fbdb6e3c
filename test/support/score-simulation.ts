/**
 * Simulated customers for the score fits (test/unit/scores.test.ts): seeded random numbers and
 * draws from the BG/NBD and Gamma-Gamma models, so the fitted figures are fixed.
 */
import type { BgNbdCustomer, BgNbdParams, GammaGammaCustomer, GammaGammaParams } from '../../enrich/scores/index.ts';

// ---------------------------------------------------------------------------------------------
// Seeded random numbers for the simulations.

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(u: () => number): number {
  let a = 0;
  while (a === 0) a = u();
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate 1) by Marsaglia and Tsang (2000), with the shape < 1 boost. */
export function gamma(u: () => number, shape: number): number {
  if (shape < 1) {
    let w = 0;
    while (w === 0) w = u();
    return gamma(u, shape + 1) * Math.pow(w, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function beta(u: () => number, a: number, b: number): number {
  const g = gamma(u, a);
  return g / (g + gamma(u, b));
}

/**
 * Customers drawn from the BG/NBD model: lambda ~ Gamma(r, alpha), p ~ Beta(a, b), observed for
 * T ~ Uniform(tMin, tMax) after their first purchase; repeat purchases at Poisson(lambda) times,
 * dropout with probability p after each.
 */
export function simulateBgNbd(u: () => number, P: BgNbdParams, n: number, tMin: number, tMax: number): BgNbdCustomer[] {
  const out: BgNbdCustomer[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = gamma(u, P.r) / P.alpha;
    const p = beta(u, P.a, P.b);
    const T = tMin + (tMax - tMin) * u();
    let t = 0;
    let x = 0;
    let tx = 0;
    for (;;) {
      t += -Math.log(1 - u()) / lambda;
      if (t > T) break;
      x++;
      tx = t;
      if (u() < p) break;
    }
    out.push({ x, tx, T });
  }
  return out;
}

/** Customers drawn from the Gamma-Gamma model, with 1..maxX transactions each. */
export function simulateGammaGamma(u: () => number, G: GammaGammaParams, n: number, maxX: number): GammaGammaCustomer[] {
  const out: GammaGammaCustomer[] = [];
  for (let i = 0; i < n; i++) {
    const nu = gamma(u, G.q) / G.v;
    const x = 1 + Math.floor(u() * maxX);
    let sum = 0;
    for (let j = 0; j < x; j++) sum += gamma(u, G.p) / nu;
    out.push({ x, m: sum / x });
  }
  return out;
}
