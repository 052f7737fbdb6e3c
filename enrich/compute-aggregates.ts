/**
 * Commerce and engagement aggregates of profiles, computed in ClickHouse from their events and
 * the events of every profile merged into them (read from events_by_profile, sorted by profile,
 * so a profile's recompute reads only its own rows), and written to profile_aggregates.
 *
 * Definitions (also in the column comments of warehouse/migrations/002):
 * - orders: order_completed events; revenue: their amounts in major units; average order value:
 *   revenue / orders; refunds: order_refunded events and their amounts; net revenue: revenue -
 *   refunds amount. Amounts of different currencies are added as they are.
 * - sessions: web events (page and screen views, tracks) more than 30 minutes apart start a new
 *   session.
 * - interactions: events the person made happen: all but messages sent, delivered, deferred or
 *   bounced to them.
 * - email opens and clicks: message_opened / message_clicked on the email channel; pushes:
 *   message_sent on the push channel; support tickets: support_ticket_created or ticket_created.
 * - last channel: of the latest event, the message's channel for messaging, else the source.
 * - rolling counters: the 30 days before the computation (`now`).
 * The other fields of the Customer 360 model (README "The Customer 360 fields"):
 * - primary_source: the first source of the tenant's source priority (`sourcePriorityOf`, else
 *   crm, pos, messaging, web) that the profile has an event from; null without events.
 * - age: whole years on the day of `now` from the trait date_of_birth, the least the person can
 *   be when the date is partial (derived-fields.ts ageOf); null when unparseable or in the future.
 * - preferred_channel: of the channels whose consent is granted now, the one with the most opens
 *   and clicks of its messages (and texts received, for sms) in the 12 months before `now`; ties
 *   and no engagement: the first in the order email, sms, push, whatsapp; null when none is granted.
 * - opt_in_status: opted_in when a channel is granted now, opted_out when a channel has consent
 *   versions but none is granted, unknown when no channel has any.
 * - consent_scopes: the channels and other scopes (consent_changed other_scope) granted now, sorted.
 * - interests: categories, lower-cased, from purchased line items, page and screen views'
 *   `category` property and the CRM tags; the 20 with the most line items and views (a tag counts
 *   one; ties by name), sorted by name.
 * - recommendation_vector: per category of purchased line items, the sum of line amount (major
 *   units) x 0.5^(days before `now` / 90), the positive ones normalised to sum 1, 4 decimals.
 * Every event counts once, however often it was delivered (rows grouped by event ID).
 */
import { clickhouseTime, type ClickHouseHandle } from '../platform/clickhouse.ts';
import { ENGAGEMENT_WEIGHTS, EVENT_TYPE_ENGAGEMENT_KIND } from './scores/engagement.ts';
import { scoresOf, type ModelStore } from './score-profiles.ts';
import {
  AFFINITY_HALF_LIFE_DAYS,
  aggregateColumns,
  COUNTS,
  ENGAGEMENT_TYPES,
  MAX_INTERESTS,
  ORDER_TYPES,
  OUTBOUND_TYPES,
  REFUND_TYPES,
  ROLLING_DAYS,
  SESSION_GAP_MS,
  SUPPORT_TYPES,
  VIEW_TYPES,
  type ProfileAggregates,
  type PurchaseHistory,
  type Scores,
} from './aggregate-fields.ts';
import type { SummaryStore } from './summaries.ts';
import { loyaltyTierChanges } from './loyalty-tier-changes.ts';
import { ageOf, CURRENCY_DIVISORS, MARKETING_CHANNELS, sourceRanking } from './derived-fields.ts';
import type { ProfileChange } from '../schemas/types.ts';

/** Event types weighted in the engagement score (scores/engagement.ts), support tickets included. */
const ACTIVITY_WEIGHTS: Record<string, number> = {
  ...Object.fromEntries(Object.entries(EVENT_TYPE_ENGAGEMENT_KIND).map(([type, kind]) => [type, ENGAGEMENT_WEIGHTS[kind]])),
  ...Object.fromEntries(SUPPORT_TYPES.map((type) => [type, ENGAGEMENT_WEIGHTS.support_ticket])),
};

/**
 * `models`: each tenant's BG/NBD and Gamma-Gamma models; with them, the scores are computed too.
 * `summaries`: the serving copy in Postgres that the read API answers from, written after ClickHouse.
 * `publishChanges`: where loyalty_tier_changed events go (the profile-changes topic).
 * `sourcePriorityOf`: the tenant's source priority (its identity settings), for primary_source;
 * without it, the default (crm, pos, messaging, web).
 */
export function createAggregateComputer(
  ch: ClickHouseHandle,
  options: {
    models?: ModelStore;
    summaries?: SummaryStore;
    publishChanges?: (changes: ProfileChange[]) => Promise<void>;
    sourcePriorityOf?: (tenantId: string) => Promise<readonly string[]>;
  } = {},
) {
  const db = ch.database;
  const columns = aggregateColumns();
  return {
    /**
     * Recomputes and stores the aggregates of the profiles that the given profile IDs belong
     * to now (an ID merged away counts for its survivor), within one tenant. `now` is the end
     * of the rolling window (the time of the computation unless given).
     */
    async recompute(tenantId: string, profileIds: string[], now = new Date()): Promise<(ProfileAggregates & Partial<Scores>)[]> {
      if (profileIds.length === 0) return [];
      const priority = sourceRanking(options.sourcePriorityOf ? await options.sourcePriorityOf(tenantId) : null);
      const result = await ch.client.query({
        query: `
          WITH current AS (
            -- The profiles the given IDs belong to now.
            SELECT argMax(current_id, changed_at) AS id FROM ${db}.profile_id_map
            WHERE tenant_id = {tenant:String} AND profile_id IN {ids:Array(UUID)} GROUP BY profile_id
          ),
          ids AS (
            -- Every profile ID that maps to one of them: they and those merged into them.
            SELECT profile_id, argMax(current_id, changed_at) AS current_id
            FROM ${db}.profile_id_map
            WHERE tenant_id = {tenant:String}
              AND profile_id IN (
                SELECT profile_id FROM ${db}.profile_id_map
                WHERE tenant_id = {tenant:String} AND current_id IN (SELECT id FROM current))
            GROUP BY profile_id
            HAVING current_id IN (SELECT id FROM current)
          )
          SELECT
            customer360_id, ${columns.outer.join(', ')},
            purchase_times, order_values, activity,
            coalesce(pr.registered, false) AS registered, coalesce(pr.contactable, false) AS contactable, pr.dob AS dob,
            -- A web event starts a session when it is the first or comes more than the gap after the one before.
            arrayFilter((t, i) -> i = 1 OR t - web[i - 1] > {gap:Int64}, web, arrayEnumerate(web)) AS starts
          FROM (
            SELECT
              toString(ids.current_id) AS customer360_id,
              ${columns.events.join(',\n              ')},
              arraySort(groupArrayIf(toUnixTimestamp64Milli(e.t), e.source = 'web')) AS web,
              -- Consent per channel: the latest change by time.
              argMaxIf(e.consent_status, e.t, e.consent_scope = 'email') AS c_email,
              argMaxIf(e.consent_status, e.t, e.consent_scope = 'sms') AS c_sms,
              argMaxIf(e.consent_status, e.t, e.consent_scope = 'push') AS c_push,
              argMaxIf(e.consent_status, e.t, e.consent_scope = 'whatsapp') AS c_whatsapp,
              -- Every scope's latest change: scope -> (time, status); at the same time, revoked wins.
              maxMapIf([e.consent_scope], [(e.t, e.consent_status)], e.consent_scope != '') AS scope_latest,
              -- The sources of its events (primary_source).
              groupUniqArray(e.source) AS sources,
              -- Engagement per channel in the last 12 months (preferred_channel).
              CAST(sumMapIf([e.engaged], [toUInt64(1)], e.engaged != '' AND e.t >= {since12:DateTime64(3)}), 'Map(String, UInt64)') AS engagement,
              -- Line items and views per category (interests), recency-weighted line amounts per category (recommendation_vector).
              CAST(sumMap(e.categories, arrayMap(c -> toUInt64(1), e.categories)), 'Map(String, UInt64)') AS interest_counts,
              CAST(sumMap(arrayFilter((c, w) -> c != '', e.line_categories, e.line_weights), arrayFilter((w, c) -> c != '', e.line_weights, e.line_categories)), 'Map(String, Float64)') AS affinity,
              -- Order times and values, for the scores (BG/NBD and Gamma-Gamma).
              arraySort(groupArrayIf(toUnixTimestamp64Milli(e.t), e.type IN {orders:Array(String)})) AS purchase_times,
              groupArrayIf(e.amount, e.type IN {orders:Array(String)}) AS order_values,
              -- Weighted activity for the engagement score: [time, weight] of each weighted event.
              groupArrayIf((toUnixTimestamp64Milli(e.t), {weights:Map(String, Float64)}[e.type]), mapContains({weights:Map(String, Float64)}, e.type)) AS activity
            FROM (
              SELECT event_id, any(customer360_id) AS profile_id, any(type) AS type, any(source) AS source,
                     any(amount) AS amount, any(currency) AS currency, any(occurred_at) AS t, any(properties) AS props, JSONExtractString(props, 'channel') AS channel,
                     -- A consent_changed event names a channel in scope, or another scope in other_scope.
                     multiIf(type = 'consent_changed', if(JSONExtractString(props, 'scope') != '', JSONExtractString(props, 'scope'), JSONExtractString(props, 'other_scope')),
                             type = 'unsubscribed', channel, type = 'sms_stop', 'sms', '') AS consent_scope,
                     multiIf(type = 'consent_changed', JSONExtractString(props, 'status'), type IN ('unsubscribed', 'sms_stop'), 'revoked', '') AS consent_status,
                     multiIf(type IN {engagement:Array(String)}, channel, type = 'sms_received', 'sms', '') AS engaged,
                     if(type IN {orders:Array(String)}, JSONExtractArrayRaw(props, 'line_items'), []) AS lines,
                     arrayMap(l -> lowerUTF8(trimBoth(JSONExtractString(l, 'category'))), lines) AS line_categories,
                     -- Line amount in major units (minor units / the currency's divisor) x 0.5^(age in days / half-life); an event after now counts as now.
                     if(mapContains({divisors:Map(String, Float64)}, currency), {divisors:Map(String, Float64)}[currency], 100) AS divisor,
                     pow(0.5, greatest(0, {now_ms:Int64} - toUnixTimestamp64Milli(t)) / 86400000 / {half_life:Float64}) AS decay,
                     arrayMap(l -> JSONExtractFloat(l, 'total_minor') / divisor * decay, lines) AS line_weights,
                     arrayFilter(c -> c != '', arrayPushBack(line_categories, if(type IN {views:Array(String)}, lowerUTF8(trimBoth(JSONExtractString(props, 'category'))), ''))) AS categories
              FROM ${db}.events_by_profile
              WHERE tenant_id = {tenant:String} AND customer360_id IN (SELECT profile_id FROM ids)
              GROUP BY event_id
            ) AS e
            INNER JOIN ids ON ids.profile_id = e.profile_id
            GROUP BY ids.current_id
          ) AS agg
          LEFT JOIN (
            SELECT toString(customer360_id) AS pid, auth_user_id IS NOT NULL AS registered, length(emails) + length(phones) > 0 AS contactable,
                   traits['date_of_birth'] AS dob, arrayDistinct(arrayFilter(x -> x != '', arrayMap(x -> lowerUTF8(trimBoth(x)), tags))) AS crm_interests
            FROM ${db}.profiles FINAL WHERE tenant_id = {tenant:String} AND customer360_id IN (SELECT id FROM current)
          ) AS pr ON pr.pid = agg.customer360_id`,
        query_params: {
          tenant: tenantId,
          ids: profileIds,
          orders: ORDER_TYPES,
          refunds: REFUND_TYPES,
          support: SUPPORT_TYPES,
          outbound: OUTBOUND_TYPES,
          gap: SESSION_GAP_MS,
          since: clickhouseTime(new Date(now.getTime() - ROLLING_DAYS * 86_400_000)),
          since12: clickhouseTime(new Date(now.getTime() - 365 * 86_400_000)),
          weights: ACTIVITY_WEIGHTS,
          priority,
          channels: MARKETING_CHANNELS,
          engagement: ENGAGEMENT_TYPES,
          views: VIEW_TYPES,
          max_interests: MAX_INTERESTS,
          divisors: CURRENCY_DIVISORS,
          now_ms: now.getTime(),
          half_life: AFFINITY_HALF_LIFE_DAYS,
        },
        format: 'JSONEachRow',
      });
      const raw = await result.json<ProfileAggregates & PurchaseHistory & { starts: number[]; activity: [number, number][]; registered: boolean; contactable: boolean; dob: string | null }>();
      const tenantModels = options.models ? await options.models.of(tenantId, now) : null;
      const rows = raw.map(({ starts, purchase_times, order_values, activity, registered, contactable, dob, ...r }) => {
        const out = { ...r } as ProfileAggregates & Partial<Scores>;
        for (const k of COUNTS) out[k] = Number(r[k]);
        out.age = ageOf(dob, now);
        if (tenantModels) {
          const sessions = starts.map((at) => [Number(at), ENGAGEMENT_WEIGHTS.session] as [number, number]);
          Object.assign(
            out,
            scoresOf(
              { ...out, purchase_times: purchase_times.map(Number), order_values, activity: [...activity.map(([at, w]) => [Number(at), w] as [number, number]), ...sessions], registered, contactable },
              tenantModels,
              now,
            ),
          );
        }
        return out;
      });
      if (rows.length) {
        const computedAt = new Date();
        await ch.client.insert({
          table: `${db}.profile_aggregates`,
          format: 'JSONEachRow',
          // The latest computation wins, whatever window it used.
          values: rows.map((r) => ({ tenant_id: tenantId, ...r, computed_at: clickhouseTime(computedAt) })),
        });
        const publish = options.publishChanges;
        await options.summaries?.write(tenantId, rows, computedAt, publish && ((moves) => publish(loyaltyTierChanges(tenantId, moves))));
      }
      return rows;
    },
  };
}

export type AggregateComputer = ReturnType<typeof createAggregateComputer>;
