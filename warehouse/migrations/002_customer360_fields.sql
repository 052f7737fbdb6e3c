-- The events of each profile in time order: a copy of events kept by a materialized view,
-- sorted by profile, so a profile's aggregates and its timeline read only its own rows. A
-- redelivered event has the same sorting key and collapses like in events.
CREATE TABLE IF NOT EXISTS {db}.events_by_profile (
  tenant_id LowCardinality(String) COMMENT 'tenant that owns the event',
  customer360_id UUID COMMENT 'profile the event was linked to when it was resolved (current one: profile_id_map)',
  occurred_at DateTime64(3, 'UTC') COMMENT 'when it happened at the source',
  event_id String COMMENT 'idempotency key sent by the source',
  source LowCardinality(String) COMMENT 'crm, pos, web or messaging',
  type LowCardinality(String) COMMENT 'event type, e.g. order_completed, page_viewed',
  received_at DateTime64(3, 'UTC') COMMENT 'when ingest accepted it',
  confidence Float32 COMMENT 'confidence of the link to the profile',
  matched_rule LowCardinality(String) COMMENT 'rule that made the link',
  order_id String COMMENT 'order of an order or refund event',
  amount Float64 COMMENT 'amount in major units, 0 if none',
  currency LowCardinality(String) COMMENT 'currency of the amount',
  properties String COMMENT 'all event properties as JSON',
  inserted_at DateTime64(3, 'UTC') COMMENT 'when enrichment wrote the row'
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, customer360_id, occurred_at, event_id)
COMMENT 'Resolved events sorted by profile and time (aggregates, timelines)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.events_by_profile_mv TO {db}.events_by_profile AS
SELECT tenant_id, customer360_id, occurred_at, event_id, source, type, received_at, confidence, matched_rule,
       order_id, amount, currency, properties, inserted_at
FROM {db}.events;

-- Events written before this migration.
INSERT INTO {db}.events_by_profile
SELECT tenant_id, customer360_id, occurred_at, event_id, source, type, received_at, confidence, matched_rule,
       order_id, amount, currency, properties, inserted_at
FROM {db}.events FINAL;

-- Every commerce and engagement field of the Customer 360, and the scores, per current profile.
-- Enrichment recomputes a profile's row when one of its events or its identity changes, and all
-- rows on a schedule (rolling counters, recency-based scores, loyalty tiers).
ALTER TABLE {db}.profile_aggregates
  ADD COLUMN IF NOT EXISTS first_purchase_at Nullable(DateTime64(3, 'UTC')) COMMENT 'first order_completed',
  ADD COLUMN IF NOT EXISTS last_purchase_at Nullable(DateTime64(3, 'UTC')) COMMENT 'last order_completed',
  ADD COLUMN IF NOT EXISTS average_order_value Float64 DEFAULT 0 COMMENT 'total_revenue / orders_count, 0 without orders',
  ADD COLUMN IF NOT EXISTS refunds_count UInt32 DEFAULT 0 COMMENT 'distinct order_refunded events',
  ADD COLUMN IF NOT EXISTS refunds_amount Float64 DEFAULT 0 COMMENT 'sum of refunded amounts, major units',
  ADD COLUMN IF NOT EXISTS net_revenue Float64 DEFAULT 0 COMMENT 'total_revenue - refunds_amount',
  ADD COLUMN IF NOT EXISTS last_channel LowCardinality(String) DEFAULT '' COMMENT 'channel of the latest event: email, sms, push or whatsapp for messages, else the source (web, pos, crm)',
  ADD COLUMN IF NOT EXISTS sessions_count UInt32 DEFAULT 0 COMMENT 'web and app visits: web events more than 30 minutes apart start a new session',
  ADD COLUMN IF NOT EXISTS interactions_count UInt32 DEFAULT 0 COMMENT 'events the person made happen (all but messages sent, delivered, deferred or bounced to them)',
  ADD COLUMN IF NOT EXISTS email_opens UInt32 DEFAULT 0 COMMENT 'message_opened on the email channel',
  ADD COLUMN IF NOT EXISTS email_clicks UInt32 DEFAULT 0 COMMENT 'message_clicked on the email channel',
  ADD COLUMN IF NOT EXISTS pushes_sent UInt32 DEFAULT 0 COMMENT 'message_sent on the push channel',
  ADD COLUMN IF NOT EXISTS support_tickets UInt32 DEFAULT 0 COMMENT 'support tickets opened (support_ticket_created, ticket_created)',
  ADD COLUMN IF NOT EXISTS last_support_at Nullable(DateTime64(3, 'UTC')) COMMENT 'latest support ticket event',
  ADD COLUMN IF NOT EXISTS events_30d UInt32 DEFAULT 0 COMMENT 'events in the 30 days before computed_at',
  ADD COLUMN IF NOT EXISTS orders_30d UInt32 DEFAULT 0 COMMENT 'orders in the 30 days before computed_at',
  ADD COLUMN IF NOT EXISTS revenue_30d Float64 DEFAULT 0 COMMENT 'revenue of those orders',
  ADD COLUMN IF NOT EXISTS opens_30d UInt32 DEFAULT 0 COMMENT 'email opens in the 30 days before computed_at',
  ADD COLUMN IF NOT EXISTS clicks_30d UInt32 DEFAULT 0 COMMENT 'email clicks in the 30 days before computed_at',
  ADD COLUMN IF NOT EXISTS sessions_30d UInt32 DEFAULT 0 COMMENT 'sessions started in the 30 days before computed_at';
