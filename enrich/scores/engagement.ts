/**
 * The engagement score of a profile, 0..100: how much and how recently the person has interacted
 * with the tenant. docs/scores.md writes the formula out.
 *
 *   S     = sum over activities of weight * 0.5^(age / halfLife)      (age = now - at, >= 0)
 *   score = 100 * (1 - exp(-S / K)),  K = ENGAGEMENT_SATURATION = 10
 *
 * Each activity counts by its kind's weight (ENGAGEMENT_WEIGHTS) and loses half its weight every
 * half-life (30 days by default), so recency and frequency both raise S. The score saturates:
 * it rises fast for the first interactions and approaches 100 without reaching it, so a heavy
 * user cannot dwarf everyone else. K sets the scale: S = K (two purchases today, or ten page
 * views today, or four purchases a month ago) scores 63.2; S = 2K scores 86.5; 70, the
 * ADVOCATE bar of the lifecycle rules, needs S = K ln(1 / 0.3) = 12.04.
 */

/** Weight of each kind of activity: what an interaction says about a person's interest. */
export const ENGAGEMENT_WEIGHTS = Object.freeze({
  purchase: 5,
  review: 4,
  referral: 5,
  click: 3,
  reply: 3,
  session: 2,
  support_ticket: 1,
  open: 1,
  page_view: 1,
}) satisfies Readonly<Record<string, number>>;

export type EngagementKind = keyof typeof ENGAGEMENT_WEIGHTS;

/**
 * The engagement kind of the catalogued event types (schemas/catalog.ts) that the person does;
 * event types the tenant does to the person (message_sent, message_delivered) or that say
 * nothing about interest (message_bounced, consent changes) are absent and weigh nothing.
 */
export const EVENT_TYPE_ENGAGEMENT_KIND: Readonly<Record<string, EngagementKind>> = Object.freeze({
  order_completed: 'purchase',
  message_clicked: 'click',
  message_opened: 'open',
  sms_received: 'reply',
  page_viewed: 'page_view',
  screen_viewed: 'page_view',
});

/** The weight of an event type (0 for types that are not engagement). */
export function engagementWeightOfEventType(type: string): number {
  const kind = EVENT_TYPE_ENGAGEMENT_KIND[type];
  return kind ? ENGAGEMENT_WEIGHTS[kind] : 0;
}

/** K: the decayed weight sum at which the score is 100 (1 - 1/e) = 63.2. */
export const ENGAGEMENT_SATURATION = 10;

const DAY_MS = 86_400_000;

export interface Activity {
  /** When it happened, epoch milliseconds. */
  at: number;
  /** Its weight, >= 0 (e.g. ENGAGEMENT_WEIGHTS.purchase). */
  weight: number;
}

/**
 * S, the decayed weight sum: sum of weight * 0.5^(age / halfLife), with age in days. An activity
 * dated after `now` (clock skew between sources) counts as happening now.
 */
export function decayedActivity(activity: readonly Activity[], now: number, halfLifeDays = 30): number {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite epoch-millisecond time, got ${now}`);
  if (!(Number.isFinite(halfLifeDays) && halfLifeDays > 0)) throw new RangeError(`halfLifeDays must be a positive number, got ${halfLifeDays}`);
  let sum = 0;
  for (const { at, weight } of activity) {
    if (!Number.isFinite(at)) throw new RangeError(`activity time must be a finite epoch-millisecond time, got ${at}`);
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError(`activity weight must be a non-negative number, got ${weight}`);
    const ageDays = Math.max(0, now - at) / DAY_MS;
    sum += weight * Math.pow(0.5, ageDays / halfLifeDays);
  }
  return sum;
}

/** The 0..100 score of a decayed weight sum S: 100 (1 - exp(-S / K)). */
export function engagementScoreOf(decayedSum: number, saturation = ENGAGEMENT_SATURATION): number {
  return 100 * -Math.expm1(-Math.max(0, decayedSum) / saturation);
}

/** The engagement score, 0..100 (not rounded), of a person's activities at time `now`. */
export function engagementScore(activity: readonly Activity[], now: number, halfLifeDays = 30): number {
  return engagementScoreOf(decayedActivity(activity, now, halfLifeDays));
}
