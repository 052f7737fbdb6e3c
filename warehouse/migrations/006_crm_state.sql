-- CRM state on the profile (resolver/crm-state.ts): the tags of every CRM record of the profile
-- as a set, and the status and lifecycle stage the CRM stated last, beside the behavioural
-- lifecycle_stage enrichment computes. The view read tags from a comma-split trait before.
ALTER TABLE {db}.profiles ADD COLUMN IF NOT EXISTS tags Array(String) DEFAULT [] COMMENT 'CRM tags of every CRM record of the profile, sorted';
ALTER TABLE {db}.profiles ADD COLUMN IF NOT EXISTS crm_status Nullable(String) COMMENT 'CRM status of the contact, as the CRM stated it last';
ALTER TABLE {db}.profiles ADD COLUMN IF NOT EXISTS crm_lifecycle_stage LowCardinality(Nullable(String)) COMMENT 'lifecycle stage the CRM states: SUBSCRIBER, LEAD, PROSPECT, CUSTOMER, MEMBER, ADVOCATE, CHURNED';
ALTER TABLE {db}.profiles ADD COLUMN IF NOT EXISTS crm_lifecycle_changed_at Nullable(DateTime64(3, 'UTC')) COMMENT 'when the CRM stage last moved';

-- One row per current, active customer with every field of the Customer 360. Analysts start here.
CREATE OR REPLACE VIEW {db}.customer360 AS
SELECT
  p.tenant_id AS tenant_id,
  p.customer360_id AS customer360_id,
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
