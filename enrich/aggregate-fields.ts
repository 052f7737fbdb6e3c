/**
 * The aggregate fields of a profile and the event types they count: what the aggregates
 * computation (compute-aggregates.ts), the scores (score-profiles.ts) and the serving copy
 * (summaries.ts) share. Definitions of each field: compute-aggregates.ts.
 */
/** Event types that count as a completed order. */
export const ORDER_TYPES = ['order_completed'];
export const REFUND_TYPES = ['order_refunded'];
export const SUPPORT_TYPES = ['support_ticket_created', 'ticket_created'];
/** Messages done to the person, not by them: not interactions. */
export const OUTBOUND_TYPES = ['message_sent', 'message_delivered', 'message_deferred', 'message_bounced'];
export const SESSION_GAP_MS = 30 * 60 * 1000;
export const ROLLING_DAYS = 30;
/** Page and screen views: their `category` property is an interest. */
export const VIEW_TYPES = ['page_viewed', 'screen_viewed'];
/** Engagement with a channel (preferred_channel): opens and clicks of its messages; sms_received counts for sms besides. */
export const ENGAGEMENT_TYPES = ['message_opened', 'message_clicked'];
/** At most this many interests per profile. */
export const MAX_INTERESTS = 20;
/** Half-life of a purchase's weight in the recommendation vector, in days. */
export const AFFINITY_HALF_LIFE_DAYS = 90;

/** How a field is stored and what an uncomputed profile has. */
type Kind = 'count' | 'amount' | 'time' | 'text' | 'consent' | 'optional_text' | 'optional_number' | 'list' | 'weights';
interface FieldSpec {
  kind: Kind;
  /** Its expression over the profile's events `e`, grouped per profile (the inner query). */
  events?: string;
  /** Or its expression over the other fields and helper columns (the outer query). */
  derived?: string;
  /** Or the TypeScript function that computes it from the query's row (not in the SQL). */
  typescript?: string;
  /** What an uncomputed profile has, when not the kind's empty value. */
  empty?: string;
}

const ORDERS = 'e.type IN {orders:Array(String)}';
const REFUNDS = 'e.type IN {refunds:Array(String)}';
const SUPPORT = 'e.type IN {support:Array(String)}';
const SINCE = 'e.t >= {since:DateTime64(3)}';
const SINCE_12M = 'e.t >= {since12:DateTime64(3)}';

/**
 * The aggregate fields of a profile, in the order of the API's answer and of the ClickHouse
 * table: from this one table derive the type (ProfileAggregates), the counters (COUNTS), the
 * query (compute-aggregates.ts) and the values of an uncomputed profile (NO_AGGREGATE_VALUES).
 */
export const AGGREGATE_FIELDS = {
  orders_count: { kind: 'count', events: `toUInt32(countIf(${ORDERS}))` },
  total_revenue: { kind: 'amount', events: `sumIf(e.amount, ${ORDERS})` },
  events_count: { kind: 'count', events: 'toUInt32(count())' },
  first_seen_at: { kind: 'time', events: 'min(e.t)' },
  last_seen_at: { kind: 'time', events: 'max(e.t)' },
  first_purchase_at: { kind: 'time', events: `if(orders_count = 0, NULL, minIf(e.t, ${ORDERS}))` },
  last_purchase_at: { kind: 'time', events: `if(orders_count = 0, NULL, maxIf(e.t, ${ORDERS}))` },
  average_order_value: { kind: 'amount', derived: 'if(orders_count = 0, 0, total_revenue / orders_count)' },
  refunds_count: { kind: 'count', events: `toUInt32(countIf(${REFUNDS}))` },
  refunds_amount: { kind: 'amount', events: `sumIf(e.amount, ${REFUNDS})` },
  net_revenue: { kind: 'amount', derived: 'total_revenue - refunds_amount' },
  last_channel: { kind: 'text', events: "argMax(if(e.source = 'messaging' AND e.channel != '', e.channel, e.source), e.t)" },
  sessions_count: { kind: 'count', derived: 'toUInt32(length(starts))' },
  interactions_count: { kind: 'count', events: 'toUInt32(countIf(e.type NOT IN {outbound:Array(String)}))' },
  email_opens: { kind: 'count', events: "toUInt32(countIf(e.type = 'message_opened' AND e.channel = 'email'))" },
  email_clicks: { kind: 'count', events: "toUInt32(countIf(e.type = 'message_clicked' AND e.channel = 'email'))" },
  pushes_sent: { kind: 'count', events: "toUInt32(countIf(e.type = 'message_sent' AND e.channel = 'push'))" },
  support_tickets: { kind: 'count', events: `toUInt32(countIf(${SUPPORT}))` },
  last_support_at: { kind: 'time', events: `if(support_tickets = 0, NULL, maxIf(e.t, ${SUPPORT}))` },
  events_30d: { kind: 'count', events: `toUInt32(countIf(${SINCE}))` },
  orders_30d: { kind: 'count', events: `toUInt32(countIf(${ORDERS} AND ${SINCE}))` },
  revenue_30d: { kind: 'amount', events: `sumIf(e.amount, ${ORDERS} AND ${SINCE})` },
  opens_30d: { kind: 'count', events: `toUInt32(countIf(e.type = 'message_opened' AND e.channel = 'email' AND ${SINCE}))` },
  clicks_30d: { kind: 'count', events: `toUInt32(countIf(e.type = 'message_clicked' AND e.channel = 'email' AND ${SINCE}))` },
  sessions_30d: { kind: 'count', derived: 'toUInt32(length(arrayFilter(t -> t >= toUnixTimestamp64Milli({since:DateTime64(3)}), starts)))' },
  consent: { kind: 'consent', derived: "mapFilter((k, v) -> v != '', map('email', c_email, 'sms', c_sms, 'push', c_push, 'whatsapp', c_whatsapp))" },
  spend_12m: { kind: 'amount', events: `sumIf(e.amount, ${ORDERS} AND ${SINCE_12M}) - sumIf(e.amount, ${REFUNDS} AND ${SINCE_12M})` },
  repeat_purchases: { kind: 'count', events: 'toUInt32(greatest(orders_count, 1) - 1)' },
  // The Customer 360 model's other fields (README "The Customer 360 fields"; helper columns: compute-aggregates.ts).
  primary_source: { kind: 'optional_text', derived: "nullIf(arrayFirst(s -> has(sources, s), {priority:Array(String)}), '')" },
  age: { kind: 'optional_number', typescript: 'ageOf (derived-fields.ts), from the trait date_of_birth' },
  preferred_channel: {
    kind: 'optional_text',
    // The first channel, in the order of {channels}, that is granted and engaged with as much as the most engaged granted one.
    derived:
      "nullIf(arrayFirst(c -> consent[c] = 'granted' AND engagement[c] = arrayMax(arrayMap(d -> if(consent[d] = 'granted', toInt64(engagement[d]), -1), {channels:Array(String)})), {channels:Array(String)}), '')",
  },
  opt_in_status: { kind: 'text', empty: 'unknown', derived: "multiIf(has(mapValues(consent), 'granted'), 'opted_in', notEmpty(mapKeys(consent)), 'opted_out', 'unknown')" },
  consent_scopes: {
    kind: 'list',
    // The channels as in consent; the other scopes from their latest change (scope_latest: scope -> (time, status)).
    derived: "arraySort(arrayConcat(mapKeys(mapFilter((k, v) -> v = 'granted', consent)), arrayFilter((k, v) -> v.2 = 'granted' AND NOT has({channels:Array(String)}, k), scope_latest.1, scope_latest.2)))",
  },
  interests: {
    kind: 'list',
    // The {max_interests} strongest (most line items and views, a CRM tag counting one), then sorted by name.
    derived:
      'arraySort(arraySlice(arraySort(k -> (-(toInt64(interest_counts[k]) + has(crm_interests, k)), k), arrayDistinct(arrayConcat(mapKeys(interest_counts), crm_interests))), 1, {max_interests:UInt32}))',
  },
  recommendation_vector: {
    kind: 'weights',
    // affinity: category -> sum of line amount x 0.5^(age in days / half-life); the positive ones, normalised to sum 1.
    derived:
      'mapFromArrays(arrayFilter((k, v) -> v > 0, mapKeys(affinity), mapValues(affinity)), arrayMap(v -> round(v / arraySum(arrayFilter(w -> w > 0, mapValues(affinity))), 4), arrayFilter(v -> v > 0, mapValues(affinity))))',
  },
} as const satisfies Record<string, FieldSpec>;

type Fields = typeof AGGREGATE_FIELDS;
export type AggregateField = keyof Fields;
type ValueOf<K extends Kind> = K extends 'count' | 'amount'
  ? number
  : K extends 'time' | 'optional_text'
    ? string | null
    : K extends 'text'
      ? string
      : K extends 'optional_number'
        ? number | null
        : K extends 'list'
          ? string[]
          : K extends 'weights'
            ? Record<string, number>
            : Record<string, string>;

/** The aggregates of one profile, as computed and stored. */
export type ProfileAggregates = { customer360_id: string } & { -readonly [F in AggregateField]: ValueOf<Fields[F]['kind']> };

const EMPTY: { [K in Kind]: ValueOf<K> } = { count: 0, amount: 0, time: null, text: '', consent: {}, optional_text: null, optional_number: null, list: [], weights: {} };
const fieldNames = Object.keys(AGGREGATE_FIELDS) as AggregateField[];

type CountField = { [F in AggregateField]: Fields[F]['kind'] extends 'count' ? F : never }[AggregateField];
/** The counters: whole numbers, read as numbers whatever ClickHouse answers. */
export const COUNTS = fieldNames.filter((f): f is CountField => AGGREGATE_FIELDS[f].kind === 'count');

/** The aggregates of a profile that enrich/ has not computed yet. */
export const NO_AGGREGATE_VALUES = Object.fromEntries(
  fieldNames.map((f) => {
    const spec: FieldSpec = AGGREGATE_FIELDS[f];
    return [f, spec.empty ?? EMPTY[spec.kind]];
  }),
) as Omit<ProfileAggregates, 'customer360_id'>;

/** The SELECT list of the inner query (per profile, over its events) and of the outer one. */
export function aggregateColumns(): { events: string[]; outer: string[] } {
  return {
    events: fieldNames.flatMap((f) => {
      const spec: FieldSpec = AGGREGATE_FIELDS[f];
      return spec.events ? [`${spec.events} AS ${f}`] : [];
    }),
    outer: fieldNames.flatMap((f) => {
      const spec: FieldSpec = AGGREGATE_FIELDS[f];
      if (spec.typescript) return [];
      return [spec.derived ? `${spec.derived} AS ${f}` : f];
    }),
  };
}

/** What the scores are computed from, besides the aggregates: order times (ms) and values. */
export interface PurchaseHistory {
  purchase_times: number[];
  order_values: number[];
}

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

/** The scores of a profile that enrich/ has not computed yet. */
export const NO_SCORES: Scores = {
  p_alive: 0,
  churn_risk: 0,
  expected_purchases_12m: 0,
  predicted_ltv_12m: 0,
  ltv: 0,
  propensity_to_buy: 0,
  engagement_score: 0,
  lifecycle_stage: '',
  inactive_24m: false,
  loyalty_tier: '',
  loyalty_points: 0,
};
