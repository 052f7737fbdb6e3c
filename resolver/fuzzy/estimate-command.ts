/**
 * `c360 identity estimate --tenant T [--dry-run] [--sample N]`: re-estimates a tenant's match
 * model from its own person records (estimate-tenant.ts) and prints how m and u moved per
 * comparison. Only counts and probabilities are printed, never a record.
 */
import type { Config } from '../../platform/config.ts';
import type { Logger } from '../../platform/logger.ts';
import { withToolPostgres } from '../../platform/tool-postgres.ts';
import { EstimateError, estimateTenantModel, type TenantEstimate } from './estimate-tenant.ts';

/** Probabilities as fixed decimals, or in exponent form when too small for four decimals (a u of agreement often is). */
const p = (x: number) => (x >= 0.0001 || x === 0 ? x.toFixed(4) : x.toExponential(1));
const weight = (m: number, u: number) => Math.log2(Math.max(m, 1e-6) / Math.max(u, 1e-6));
const signed = (w: number) => `${w >= 0 ? '+' : ''}${w.toFixed(1)}`;
const count = (n: number) => n.toLocaleString('en-US');

/** The estimate as a short table: per comparison, its agreement level's m, u and weight before and after. */
export function formatEstimate(estimate: TenantEstimate): string {
  const s = estimate.summary;
  const sampled = s.recordsUsed < s.records ? `a uniform sample of ${count(s.recordsUsed)} of ${count(s.records)}` : `all ${count(s.records)}`;
  const pairs = s.candidatePairsUsed < s.candidatePairs ? `${count(s.candidatePairsUsed)} of ${count(s.candidatePairs)}` : count(s.candidatePairs);
  const header = ['comparison', 'm exact before -> after', 'u exact before -> after', 'weight before -> after'];
  const rows = s.comparisons.map((c) => {
    const { m, u } = c.levels[0]!;
    const moved = (before: string, after: string) => (c.estimated ? `${before} -> ${after}` : `${before} (kept)`);
    return [
      c.comparison,
      moved(p(m.before), p(m.after)),
      moved(p(u.before), p(u.after)),
      moved(signed(weight(m.before, u.before)), signed(weight(m.after, u.after))),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  const kept = s.comparisons.filter((c) => !c.estimated);
  return [
    `Match model of tenant ${estimate.tenantId}, from ${sampled} person records: ${pairs} candidate pairs by blocking (m by EM), ${count(s.randomPairs)} random pairs (u)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    ...(kept.length
      ? [
          `kept as they were (too few pairs with both values): ${kept
            .map((c) => `${c.comparison} (${count(c.observed.candidatePairs)} candidate, ${count(c.observed.randomPairs)} random)`)
            .join(', ')}`,
        ]
      : []),
    `prior match probability of a candidate pair: ${p(s.lambda.before)} -> ${p(s.lambda.after)}`,
    `thresholds: link ${estimate.linkThreshold}, review ${estimate.reviewThreshold} (unchanged)`,
    estimate.written
      ? 'Written to match_models; resolvers use it within 30 s.'
      : 'Dry run: nothing written; the current model stays.',
  ].join('\n');
}

export async function runEstimateCommand(config: Config, logger: Logger, options: { tenant: string; dryRun?: boolean; sample?: string }): Promise<number> {
  const sample = options.sample === undefined ? undefined : Number(options.sample);
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 2)) {
    process.stderr.write(`c360 identity estimate: --sample takes a whole number of records (got ${options.sample})\n`);
    return 2;
  }
  return withToolPostgres(config, logger, async (postgres) => {
    try {
      const estimate = await estimateTenantModel(postgres.pool, options.tenant, { write: !options.dryRun, sample });
      process.stdout.write(`${formatEstimate(estimate)}\n`);
      return 0;
    } catch (error) {
      if (error instanceof EstimateError) {
        process.stderr.write(`c360 identity estimate: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  });
}
