/**
 * The scores of a profile (docs/scores.md), from its aggregates, its order times and values,
 * its decayed activity and the tenant's models: P(alive) and churn risk, expected purchases and
 * predicted value for the next 12 months (BG/NBD + Gamma-Gamma), lifetime value, propensity to
 * buy in the next 30 days, engagement 0-100, lifecycle stage, the 24-month inactivity flag,
 * loyalty tier and points. Time in days; amounts in major currency units.
 *
 * Each tenant's models are fitted on its own customers (at most 50,000, sampled) and kept for an
 * hour; a tenant too small to fit is scored with the published defaults (bg-nbd.ts, gamma-gamma.ts).
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import {
  bgNbdCustomerFromPurchases,
  bgNbdParamsForTenant,
  customerLifetimeValue,
  defaultGammaGamma,
  engagementScore,
  expectedPurchases,
  gammaGammaParamsForTenant,
  inactiveFor24Months,
  lifecycleStage,
  loyaltyPoints,
  loyaltyTier,
  pAlive,
  probabilityOfPurchase,
  type BgNbdParams,
  type GammaGammaParams,
} from './scores/index.ts';
import { ORDER_TYPES, type Scores } from './aggregate-fields.ts';

export type { Scores };

const DAY_MS = 86_400_000;
export const FORECAST_DAYS = 365;
export const PROPENSITY_DAYS = 30;
export const MODEL_TTL_MS = 60 * 60 * 1000;
export const MODEL_SAMPLE = 50_000;

export interface TenantModels {
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
  source: { bgNbd: 'fit' | 'default'; gammaGamma: 'fit' | 'default' | 'none' };
}

export interface ScoreInputs {
  net_revenue: number;
  spend_12m: number;
  orders_count: number;
  last_purchase_at: string | null;
  last_seen_at: string | null;
  consent: Record<string, string>;
  /** Order times (ms) and values. */
  purchase_times: number[];
  order_values: number[];
  /** Weighted activity for engagement: [time ms, weight]. */
  activity: [number, number][];
  registered: boolean;
  contactable: boolean;
}


const time = (s: string | null) => (s ? Date.parse(`${s.replace(' ', 'T')}Z`) : null);
const round = (n: number, digits = 6) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The scores of one profile at `now`. */
export function scoresOf(input: ScoreInputs, models: TenantModels, now: Date): Scores {
  const t = now.getTime();
  const customer = bgNbdCustomerFromPurchases(input.purchase_times, t, DAY_MS);
  let alive = 0;
  let expected = 0;
  let predicted = 0;
  let propensity = 0;
  if (customer) {
    alive = pAlive(models.bgNbd, customer);
    expected = expectedPurchases(models.bgNbd, customer, FORECAST_DAYS);
    propensity = probabilityOfPurchase(models.bgNbd, customer, PROPENSITY_DAYS);
    const positive = input.order_values.filter((v) => v > 0);
    const mean = positive.length ? positive.reduce((a, b) => a + b, 0) / positive.length : 0;
    const gg = models.gammaGamma ?? (mean > 0 ? defaultGammaGamma(mean) : null);
    if (gg && mean > 0) predicted = customerLifetimeValue(models.bgNbd, gg, { ...customer, m: mean }, { horizon: FORECAST_DAYS });
  }
  const engagement = Math.round(engagementScore(input.activity.map(([at, weight]) => ({ at, weight })), t));
  const stage = lifecycleStage({
    ordersCount: input.orders_count,
    lastPurchaseAt: time(input.last_purchase_at),
    lastSeenAt: time(input.last_seen_at),
    hasAuthUserId: input.registered,
    emailConsent: input.consent.email === 'granted',
    hasContactIdentifier: input.contactable,
    engagementScore: engagement,
    pAlive: customer ? alive : null,
    now: t,
  });
  return {
    p_alive: round(alive),
    churn_risk: customer ? round(1 - alive) : 0,
    expected_purchases_12m: round(expected),
    predicted_ltv_12m: round(predicted, 2),
    ltv: round(input.net_revenue + predicted, 2),
    propensity_to_buy: round(propensity),
    engagement_score: engagement,
    lifecycle_stage: stage ?? '',
    inactive_24m: inactiveFor24Months(time(input.last_seen_at), t),
    loyalty_tier: loyaltyTier(Math.max(0, input.spend_12m)),
    loyalty_points: loyaltyPoints(Math.max(0, input.net_revenue)),
  };
}

/** Fits (and caches for an hour) each tenant's BG/NBD and Gamma-Gamma models from its customers' orders. */
export function createModelStore(ch: ClickHouseHandle) {
  const cache = new Map<string, { models: TenantModels; until: number }>();
  return {
    async of(tenantId: string, now = new Date()): Promise<TenantModels> {
      const hit = cache.get(tenantId);
      if (hit && hit.until > Date.now()) return hit.models;
      const result = await ch.client.query({
        query: `
          SELECT groupArray(t) AS times, groupArray(amount) AS amounts FROM (
            SELECT event_id, any(customer360_id) AS profile, toUnixTimestamp64Milli(any(occurred_at)) AS t, any(amount) AS amount
            FROM ${ch.database}.events_by_profile
            WHERE tenant_id = {t:String} AND type IN {orders:Array(String)}
            GROUP BY event_id)
          GROUP BY profile
          ORDER BY cityHash64(profile)
          LIMIT {n:UInt32}`,
        query_params: { t: tenantId, orders: ORDER_TYPES, n: MODEL_SAMPLE },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      const customers = await result.json<{ times: number[]; amounts: number[] }>();
      const bg = bgNbdParamsForTenant(customers.map((c) => bgNbdCustomerFromPurchases(c.times.map(Number), now.getTime(), DAY_MS)!));
      const gg = gammaGammaParamsForTenant(
        customers
          .map((c) => ({ x: c.times.length - 1, m: c.amounts.reduce((a, b) => a + b, 0) / c.amounts.length }))
          .filter((c) => c.x >= 1 && c.m > 0),
      );
      const models: TenantModels = { bgNbd: bg.params, gammaGamma: gg?.params ?? null, source: { bgNbd: bg.source, gammaGamma: gg?.source ?? 'none' } };
      cache.set(tenantId, { models, until: Date.now() + MODEL_TTL_MS });
      return models;
    },
  };
}

export type ModelStore = ReturnType<typeof createModelStore>;
