/**
 * Rules over time of the Customer 360 profile: the lifecycle stage, the flag of profiles inactive
 * for more than 24 months, and loyalty tiers and points from spend. docs/scores.md lists the
 * rules. Times are epoch milliseconds, Date objects or ISO 8601 strings.
 */

/** The lifecycle stages, from first contact to lost customer (as schemas/generated.ts LifecycleStage). */
export const LIFECYCLE_STAGES = ['SUBSCRIBER', 'LEAD', 'PROSPECT', 'CUSTOMER', 'MEMBER', 'ADVOCATE', 'CHURNED'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export type TimeInput = number | Date | string;

const DAY_MS = 86_400_000;

function millis(t: TimeInput, what: string): number {
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not a valid time: ${String(t)}`);
  return ms;
}

/** The thresholds of lifecycleStage. */
export interface LifecycleConfig {
  /** CHURNED: a buyer with no activity (purchase or seen) for this many days. */
  churnInactiveDays: number;
  /** CHURNED also: a buyer whose BG/NBD P(alive) is below this ... */
  churnPAliveBelow: number;
  /** ... and who has not been seen for this many days (a low P(alive) of someone browsing today is not churn). */
  churnPAliveMinInactiveDays: number;
  /** ADVOCATE: at least this many orders ... */
  advocateMinOrders: number;
  /** ... and an engagement score of at least this; */
  advocateMinEngagement: number;
  /** or, with at least one order, at least this many referrals; */
  advocateMinReferrals: number;
  /** or, with at least one order, at least this many reviews. */
  advocateMinReviews: number;
  /** PROSPECT: a known contact with an engagement score of at least this and no order. */
  prospectMinEngagement: number;
}

/**
 * The default thresholds. prospectMinEngagement = 15 is met by a session (weight 2, score 18.1)
 * or a click (weight 3, score 25.9) today, or two page views today (18.1), not by one page view
 * (9.5) or an email open (9.5): opening a newsletter alone does not make a prospect.
 * advocateMinEngagement = 70 needs a decayed activity sum of 12 (engagement.ts).
 */
export const DEFAULT_LIFECYCLE_CONFIG: Readonly<LifecycleConfig> = Object.freeze({
  churnInactiveDays: 365,
  churnPAliveBelow: 0.1,
  churnPAliveMinInactiveDays: 30,
  advocateMinOrders: 5,
  advocateMinEngagement: 70,
  advocateMinReferrals: 1,
  advocateMinReviews: 3,
  prospectMinEngagement: 15,
});

export interface LifecycleInput {
  /** Completed orders, all time (refunded orders included: the person bought). */
  ordersCount: number;
  lastPurchaseAt?: TimeInput | null;
  /** Last activity of any kind (the profile's last seen). */
  lastSeenAt?: TimeInput | null;
  /** The profile carries an auth user ID: a registered member of the tenant's app. */
  hasAuthUserId: boolean;
  /** Opted in to email marketing. */
  emailConsent: boolean;
  /** The profile has an email or a phone. */
  hasContactIdentifier: boolean;
  /** Engagement score, 0..100 (engagement.ts). */
  engagementScore: number;
  referralsCount?: number;
  reviewsCount?: number;
  /** BG/NBD P(alive), when the tenant is scored (bg-nbd.ts); absent, only inactivity makes churn. */
  pAlive?: number | null;
  now: TimeInput;
}

/**
 * The lifecycle stage of a profile: the first rule that holds, in this order.
 *
 * 1. CHURNED: bought (ordersCount >= 1) and either nothing for churnInactiveDays (365) since the
 *    later of the last purchase and last seen, or pAlive < churnPAliveBelow (0.1) with nothing
 *    for churnPAliveMinInactiveDays (30). A buyer with neither time known is not churned.
 * 2. ADVOCATE: bought, and either ordersCount >= advocateMinOrders (5) with engagementScore >=
 *    advocateMinEngagement (70), or referralsCount >= advocateMinReferrals (1), or reviewsCount
 *    >= advocateMinReviews (3).
 * 3. MEMBER: bought and registered (an auth user ID).
 * 4. CUSTOMER: bought (a walk-in or guest, not registered).
 * 5. PROSPECT: no order; a known contact (email, phone or auth user ID) with engagementScore >=
 *    prospectMinEngagement (15).
 * 6. SUBSCRIBER: no order, not engaged, not registered, opted in to email: the opt-in is all we
 *    have.
 * 7. LEAD: no order, not engaged, not opted in; a contact identifier or a registration.
 * 8. null: no order, no contact identifier, no registration, no opt-in (an anonymous visitor,
 *    however engaged): not in the funnel yet, as the profile's nullable lifecycle_stage allows.
 *
 * A counter or score given as NaN or a negative number is an error.
 */
export function lifecycleStage(input: LifecycleInput, config: LifecycleConfig = DEFAULT_LIFECYCLE_CONFIG): LifecycleStage | null {
  const now = millis(input.now, 'now');
  const orders = input.ordersCount;
  for (const [name, value] of [
    ['ordersCount', orders],
    ['engagementScore', input.engagementScore],
    ['referralsCount', input.referralsCount ?? 0],
    ['reviewsCount', input.reviewsCount ?? 0],
  ] as const) {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
  const pAlive = input.pAlive ?? null;
  if (pAlive !== null && !(pAlive >= 0 && pAlive <= 1)) throw new RangeError(`pAlive must be between 0 and 1, got ${pAlive}`);

  const times = [input.lastPurchaseAt, input.lastSeenAt].filter((t): t is TimeInput => t !== null && t !== undefined).map((t) => millis(t, 'last activity'));
  const lastActivity = times.length > 0 ? Math.max(...times) : null;
  const inactiveDays = lastActivity === null ? null : (now - lastActivity) / DAY_MS;

  if (orders >= 1) {
    if (inactiveDays !== null) {
      if (inactiveDays >= config.churnInactiveDays) return 'CHURNED';
      if (pAlive !== null && pAlive < config.churnPAliveBelow && inactiveDays >= config.churnPAliveMinInactiveDays) return 'CHURNED';
    }
    if (
      (orders >= config.advocateMinOrders && input.engagementScore >= config.advocateMinEngagement) ||
      (input.referralsCount ?? 0) >= config.advocateMinReferrals ||
      (input.reviewsCount ?? 0) >= config.advocateMinReviews
    ) {
      return 'ADVOCATE';
    }
    return input.hasAuthUserId ? 'MEMBER' : 'CUSTOMER';
  }
  const known = input.hasContactIdentifier || input.hasAuthUserId;
  if (known && input.engagementScore >= config.prospectMinEngagement) return 'PROSPECT';
  if (input.emailConsent && !input.hasAuthUserId) return 'SUBSCRIBER';
  if (known) return 'LEAD';
  return null;
}

/**
 * Whether a profile has been inactive for more than 24 months: its last activity is before the
 * same calendar day (UTC) 24 months before now (a day that month lacks, such as 29 February, is
 * clamped to the month's last day). Exactly 24 months is not more. A profile never seen
 * (lastSeenAt null) is not flagged: pass its creation time instead.
 */
export function inactiveFor24Months(lastSeenAt: TimeInput | null | undefined, now: TimeInput): boolean {
  if (lastSeenAt === null || lastSeenAt === undefined) return false;
  return millis(lastSeenAt, 'lastSeenAt') < monthsBefore(millis(now, 'now'), 24);
}

/** The time `months` calendar months before `t` (UTC), the day clamped to the target month's length. */
export function monthsBefore(t: number, months: number): number {
  const d = new Date(t);
  const totalMonths = d.getUTCFullYear() * 12 + d.getUTCMonth() - months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

export interface LoyaltyTier {
  name: string;
  /** Spend over the last 12 months from which the tier applies (currency units). */
  min: number;
}

/**
 * The default tiers, by spend over the last 12 months in the tenant's currency, in major units
 * (euros, not cents: event amounts are integers in the minor unit, divide them first).
 */
export const DEFAULT_LOYALTY_TIERS: readonly Readonly<LoyaltyTier>[] = Object.freeze([
  { name: 'BRONZE', min: 0 },
  { name: 'SILVER', min: 500 },
  { name: 'GOLD', min: 2000 },
  { name: 'PLATINUM', min: 10000 },
]);

/**
 * The loyalty tier of a spend over the last 12 months: the tier with the highest min <= spend
 * (tiers in any order). A spend below every min (net refunds make it negative) gets the lowest
 * tier. Recalculated periodically (e.g. nightly) from spendInLast12Months.
 */
export function loyaltyTier(spendLast12Months: number, tiers: readonly LoyaltyTier[] = DEFAULT_LOYALTY_TIERS): string {
  if (!Number.isFinite(spendLast12Months)) throw new RangeError(`spend must be a finite number, got ${spendLast12Months}`);
  if (tiers.length === 0) throw new RangeError('loyaltyTier: no tiers');
  const sorted = [...tiers].sort((u, v) => u.min - v.min);
  let tier = sorted[0]!;
  for (const t of sorted) if (spendLast12Months >= t.min) tier = t;
  return tier.name;
}

/** How much more spend reaches the next tier, and its name; null at the top tier. */
export function nextLoyaltyTier(spendLast12Months: number, tiers: readonly LoyaltyTier[] = DEFAULT_LOYALTY_TIERS): { name: string; missing: number } | null {
  const sorted = [...tiers].sort((u, v) => u.min - v.min);
  const next = sorted.find((t) => t.min > spendLast12Months);
  return next ? { name: next.name, missing: next.min - spendLast12Months } : null;
}

/**
 * Net spend of the orders in the 12 calendar months up to now: orders at or after
 * monthsBefore(now, 12) and not after now; refunds are orders with a negative amount.
 */
export function spendInLast12Months(orders: readonly { at: TimeInput; amount: number }[], now: TimeInput): number {
  const end = millis(now, 'now');
  const start = monthsBefore(end, 12);
  let total = 0;
  for (const o of orders) {
    const at = millis(o.at, 'order time');
    if (!Number.isFinite(o.amount)) throw new RangeError(`order amount must be a finite number, got ${o.amount}`);
    if (at >= start && at <= end) total += o.amount;
  }
  return total;
}

/** Points earned per currency unit spent. */
export const DEFAULT_POINTS_PER_CURRENCY_UNIT = 1;

/**
 * Loyalty points of an order: 1 point per whole currency unit by default,
 * floor(amount * pointsPerUnit) (49.99 earns 49). A refund (negative amount) takes back the points
 * of the amount refunded, -floor(|amount| * pointsPerUnit), so that buying and refunding the same
 * amount nets to zero. The balance is the sum over orders less points redeemed.
 */
export function loyaltyPoints(amount: number, pointsPerUnit = DEFAULT_POINTS_PER_CURRENCY_UNIT): number {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be a finite number, got ${amount}`);
  if (!(Number.isFinite(pointsPerUnit) && pointsPerUnit >= 0)) throw new RangeError(`pointsPerUnit must be a non-negative number, got ${pointsPerUnit}`);
  // The 1e-9 guards against 0.1 * 30 = 3.0000000000000004-style errors just below a whole point.
  const points = Math.floor(Math.abs(amount) * pointsPerUnit + 1e-9);
  return amount < 0 ? -points : points;
}
