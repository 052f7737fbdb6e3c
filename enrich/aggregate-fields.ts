/**
 * The aggregate fields of a profile and the event types they count: what the aggregates
 * computation (compute-aggregates.ts), the scores (score-profiles.ts) and the serving copy
 * (summaries.ts) share.
 */
/** Event types that count as a completed order. */
export const ORDER_TYPES = ['order_completed'];
export const REFUND_TYPES = ['order_refunded'];
export const SUPPORT_TYPES = ['support_ticket_created', 'ticket_created'];
/** Messages done to the person, not by them: not interactions. */
export const OUTBOUND_TYPES = ['message_sent', 'message_delivered', 'message_deferred', 'message_bounced'];
export const SESSION_GAP_MS = 30 * 60 * 1000;
export const ROLLING_DAYS = 30;

export interface ProfileAggregates {
  customer360_id: string;
  orders_count: number;
  total_revenue: number;
  events_count: number;
  first_seen_at: string | null;
  last_seen_at: string | null;
  first_purchase_at: string | null;
  last_purchase_at: string | null;
  average_order_value: number;
  refunds_count: number;
  refunds_amount: number;
  net_revenue: number;
  last_channel: string;
  sessions_count: number;
  interactions_count: number;
  email_opens: number;
  email_clicks: number;
  pushes_sent: number;
  support_tickets: number;
  last_support_at: string | null;
  events_30d: number;
  orders_30d: number;
  revenue_30d: number;
  opens_30d: number;
  clicks_30d: number;
  sessions_30d: number;
  consent: Record<string, string>;
  spend_12m: number;
  repeat_purchases: number;
}

/** What the scores are computed from, besides the aggregates: order times (ms) and values. */
export interface PurchaseHistory {
  purchase_times: number[];
  order_values: number[];
}

export const COUNTS = [
  'orders_count',
  'events_count',
  'refunds_count',
  'sessions_count',
  'interactions_count',
  'email_opens',
  'email_clicks',
  'pushes_sent',
  'support_tickets',
  'events_30d',
  'orders_30d',
  'opens_30d',
  'clicks_30d',
  'sessions_30d',
  'repeat_purchases',
] as const;

/** Scores of a profile, computed beside its aggregates (score-profiles.ts). */
export interface Scores {
  p_alive: number;
  churn_risk: number;
  expected_purchases_12m: number;
  predicted_ltv_12m: number;
  ltv: number;
  propensity_to_buy: number;
  engagement_score: number;
  lifecycle_stage: string;
  inactive_24m: boolean;
  loyalty_tier: string;
  loyalty_points: number;
}
