-- The rest of the Customer 360 model, computed by enrichment beside the other aggregates
-- (enrich/compute-aggregates.ts, enrich/derived-fields.ts; README "The Customer 360 fields"):
-- the primary source, the age, the preferred channel, the opt-in status and the consent scopes,
-- the interests and the recommendation vector. Rows computed before this migration have the
-- defaults until their profile's next computation (an event, or the hourly schedule).
ALTER TABLE {db}.profile_aggregates
  ADD COLUMN IF NOT EXISTS primary_source LowCardinality(Nullable(String)) COMMENT 'the first source of the tenant''s source priority (identity settings, default crm, pos, messaging, web) the profile has events from; null without events',
  ADD COLUMN IF NOT EXISTS age Nullable(UInt16) COMMENT 'whole years on the day of computed_at from the trait date_of_birth: YYYY-MM-DD exact, YYYY-MM from the last day of the month, YYYY from December 31 (the least the person can be); null when unparseable, before 1900 or in the future',
  ADD COLUMN IF NOT EXISTS preferred_channel LowCardinality(Nullable(String)) COMMENT 'of the channels granted now, the one with the most opens and clicks of its messages (and sms_received for sms) in the 12 months before computed_at; ties and none: the first of email, sms, push, whatsapp; null when none is granted',
  ADD COLUMN IF NOT EXISTS opt_in_status LowCardinality(String) DEFAULT 'unknown' COMMENT 'opted_in: a channel is granted now; opted_out: a channel has consent versions, none granted; unknown: no channel has any',
  ADD COLUMN IF NOT EXISTS consent_scopes Array(String) DEFAULT [] COMMENT 'scopes granted now, sorted: channels and the scopes the tenant configures (the latest change by occurred_at of each)',
  ADD COLUMN IF NOT EXISTS interests Array(String) DEFAULT [] COMMENT 'categories, lower-cased: of purchased line items, of page and screen views (property category) and the CRM tags; the 20 with the most line items and views (a tag counts one, ties by name), sorted',
  ADD COLUMN IF NOT EXISTS recommendation_vector Map(String, Float64) COMMENT 'category affinity from purchases: per line item category, sum of line amount x 0.5^(age in days / 90), normalised to sum 1, 4 decimals; empty without purchased categories';

-- One row per current, active customer with every field of the Customer 360. Analysts start here.
CREATE OR REPLACE VIEW {db}.customer360 AS
SELECT
  p.tenant_id AS tenant_id,
  p.customer360_id AS customer360_id,
  a.primary_source AS primary_source,
  p.created_at AS created_at,
  p.changed_at AS updated_at,
  p.auth_user_id AS auth_user_id,
  p.primary_email AS primary_email,
  p.emails AS emails,
  p.primary_phone AS primary_phone,
  p.phones AS phones,
  p.source_ids AS source_ids,
  p.first_name AS first_name,
  p.last_name AS last_name,
  nullIf(trim(concat(coalesce(p.first_name, ''), ' ', coalesce(p.last_name, ''))), '') AS full_name,
  p.city AS city,
  p.country AS country,
  nullIf(p.traits['region'], '') AS region,
  nullIf(p.traits['postal_code'], '') AS postal_code,
  nullIf(p.traits['language'], '') AS language,
  nullIf(p.traits['gender'], '') AS gender,
  parseDateTime64BestEffortOrNull(nullIf(p.traits['date_of_birth'], ''), 3, 'UTC') AS date_of_birth,
  a.age AS age,
  a.preferred_channel AS preferred_channel,
  if(coalesce(a.opt_in_status, '') = '', 'unknown', a.opt_in_status) AS opt_in_status,
  coalesce(a.consent_scopes, []) AS consent_scopes,
  coalesce(a.interests, []) AS interests,
  p.tags AS tags,
  p.crm_status AS crm_status,
  p.crm_lifecycle_stage AS crm_lifecycle_stage,
  p.crm_lifecycle_changed_at AS crm_lifecycle_changed_at,
  p.traits AS traits,
  coalesce(a.orders_count, 0) AS orders_count,
  coalesce(a.total_revenue, 0) AS total_revenue,
  coalesce(a.average_order_value, 0) AS average_order_value,
  coalesce(a.refunds_count, 0) AS refunds_count,
  coalesce(a.refunds_amount, 0) AS refunds_amount,
  coalesce(a.net_revenue, 0) AS net_revenue,
  a.first_purchase_at AS first_purchase_at,
  a.last_purchase_at AS last_purchase_at,
  a.first_seen_at AS first_seen_at,
  a.last_seen_at AS last_seen_at,
  coalesce(a.last_channel, '') AS last_channel,
  coalesce(a.events_count, 0) AS events_count,
  coalesce(a.sessions_count, 0) AS sessions_count,
  coalesce(a.interactions_count, 0) AS interactions_count,
  coalesce(a.email_opens, 0) AS email_opens,
  coalesce(a.email_clicks, 0) AS email_clicks,
  coalesce(a.pushes_sent, 0) AS pushes_sent,
  coalesce(a.support_tickets, 0) AS support_tickets,
  a.last_support_at AS last_support_at,
  coalesce(a.events_30d, 0) AS events_30d,
  coalesce(a.orders_30d, 0) AS orders_30d,
  coalesce(a.revenue_30d, 0) AS revenue_30d,
  coalesce(a.opens_30d, 0) AS opens_30d,
  coalesce(a.clicks_30d, 0) AS clicks_30d,
  coalesce(a.sessions_30d, 0) AS sessions_30d,
  a.consent AS consent,
  a.recommendation_vector AS recommendation_vector,
  coalesce(a.ltv, 0) AS ltv,
  coalesce(a.predicted_ltv_12m, 0) AS predicted_ltv_12m,
  coalesce(a.expected_purchases_12m, 0) AS expected_purchases_12m,
  coalesce(a.p_alive, 0) AS p_alive,
  coalesce(a.churn_risk, 0) AS churn_risk,
  coalesce(a.engagement_score, 0) AS engagement_score,
  coalesce(a.propensity_to_buy, 0) AS propensity_to_buy,
  coalesce(a.lifecycle_stage, '') AS lifecycle_stage,
  coalesce(a.inactive_24m, false) AS inactive_24m,
  coalesce(a.loyalty_tier, '') AS loyalty_tier,
  coalesce(a.loyalty_points, 0) AS loyalty_points,
  coalesce(m.segments, []) AS segments,
  m.primary_segment AS primary_segment
FROM (SELECT * FROM {db}.profiles FINAL WHERE merged_into IS NULL AND NOT deleted) AS p
LEFT JOIN (SELECT * FROM {db}.profile_aggregates FINAL) AS a
  ON a.tenant_id = p.tenant_id AND a.customer360_id = p.customer360_id
LEFT JOIN (
  SELECT ms.tenant_id AS tenant_id, ms.customer360_id AS customer360_id,
         arraySort(groupArray(ms.segment_id)) AS segments,
         argMin(ms.segment_id, (s.priority, ms.segment_id)) AS primary_segment
  FROM (SELECT * FROM {db}.segment_membership FINAL WHERE is_member) AS ms
  INNER JOIN (SELECT * FROM {db}.segments FINAL WHERE NOT deleted) AS s
    ON s.tenant_id = ms.tenant_id AND s.segment_id = ms.segment_id
  GROUP BY ms.tenant_id, ms.customer360_id
) AS m ON m.tenant_id = p.tenant_id AND m.customer360_id = p.customer360_id;
