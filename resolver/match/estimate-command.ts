/**
 * `c360 identity estimate --tenant T [--dry-run] [--sample N]`: estimates the entity matcher's u
 * for a tenant from its own person records (estimate-tenant.ts) and prints, per comparison and
 * level, m, u before and after and the resulting weight. Only counts and probabilities are
 * printed, never a value of a record.
 */
import type { ToolPostgres } from '../../platform/tool-postgres.ts';
import { EstimateError, estimateTenantModel, type TenantEstimate } from './estimate-tenant.ts';

/** Probabilities as fixed decimals, or in exponent form when too small for four decimals (a u of agreement often is). */
const p = (x: number) => (x >= 0.0001 || x === 0 ? x.toFixed(4) : x.toExponential(1));
const signed = (w: number) => `${w >= 0 ? '+' : ''}${w.toFixed(1)}`;
const count = (n: number) => n.toLocaleString('en-US');
const share = (n: number, of: number) => `${Math.round((100 * n) / Math.max(1, of))}%`;

/** The estimate as a table, one row per comparison and level. */
export function formatEstimate(estimate: TenantEstimate): string {
  const s = estimate.summary;
  const sampled = s.recordsUsed < s.records ? `a uniform sample of ${count(s.recordsUsed)} of ${count(s.records)}` : `all ${count(s.records)}`;
  const header = ['comparison', 'level', 'm', 'u before', 'u after', 'weight'];
  const rows = s.comparisons.flatMap((c) =>
    c.levels.map((l) => [c.comparison, `${l.level}${l.byFrequency ? ' *' : ''}`, l.m.toFixed(4), p(l.u.before), p(l.u.after), signed(l.weight.after)]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `Entity match model of tenant ${estimate.tenantId}: u from ${count(s.pairs)} random pairs of ${sampled} person records`,
    `u before: ${estimate.previousSource === 'stored' ? "the tenant's stored model" : 'the generic priors (no entity model was stored)'}; m is fixed; weight = log2(m / u after)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    "* weighed by how common the value itself is where the tenant's counts know it; u is the fallback",
    `sampled records holding each comparison (the fewer, the nearer u stays to its prior): ${s.comparisons
      .map((c) => `${c.comparison} ${share(c.recordsWithValue, s.recordsUsed)}`)
      .join(', ')}`,
    `thresholds: link ${estimate.linkThreshold}, review ${estimate.reviewThreshold} (unchanged)`,
    estimate.written
      ? "Written to match_models and the tenant's epoch moved: resolvers build the tenant again on its next batch and use it."
      : 'Dry run: nothing written; the current model stays.',
  ].join('\n');
}

export async function runEstimateCommand(withPostgres: ToolPostgres, options: { tenant: string; dryRun?: boolean; sample?: string }): Promise<number> {
  const sample = options.sample === undefined ? undefined : Number(options.sample);
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 2)) {
    process.stderr.write(`c360 identity estimate: --sample takes a whole number of records (got ${options.sample})\n`);
    return 2;
  }
  return withPostgres(async (postgres) => {
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
