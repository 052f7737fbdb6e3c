-- Resolved events, one row per event (a redelivery is collapsed by event_id).
-- customer360_id is the profile at the time the event was resolved; join profile_id_map to
-- attribute it to the current profile after merges.
CREATE TABLE IF NOT EXISTS {db}.events (
  tenant_id LowCardinality(String) COMMENT 'tenant that owns the event',
  event_id String COMMENT 'idempotency key sent by the source',
  customer360_id UUID COMMENT 'profile the event was linked to when it was resolved',
  source LowCardinality(String) COMMENT 'crm, pos, web or messaging',
  type LowCardinality(String) COMMENT 'event type, e.g. order_completed, page_viewed',
  occurred_at DateTime64(3, 'UTC') COMMENT 'when it happened at the source',
  received_at DateTime64(3, 'UTC') COMMENT 'when ingest accepted it',
  confidence Float32 COMMENT 'confidence of the link to the profile',
  matched_rule LowCardinality(String) COMMENT 'rule that made the link',
  order_id String COMMENT 'properties.order_id, if any',
  amount Float64 COMMENT 'properties.amount in major units, 0 if none',
  currency LowCardinality(String) COMMENT 'properties.currency, if any',
  properties String COMMENT 'all event properties as JSON',
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'when enrichment wrote the row'
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, event_id)
COMMENT 'Resolved events of every source';

-- Every profile ID ever issued and the profile it belongs to now (itself, or the survivor of
-- a merge). History recorded before a merge is attributed through it without rewriting rows.
CREATE TABLE IF NOT EXISTS {db}.profile_id_map (
  tenant_id LowCardinality(String),
  profile_id UUID COMMENT 'a profile ID ever issued',
  current_id UUID COMMENT 'the profile it belongs to now',
  changed_at DateTime64(3, 'UTC') COMMENT 'when this mapping was made; the latest wins'
) ENGINE = ReplacingMergeTree(changed_at)
ORDER BY (tenant_id, profile_id)
COMMENT 'Profile ID to current profile ID';

-- Identity and attributes of each profile, as the resolver last published them.
CREATE TABLE IF NOT EXISTS {db}.profiles (
  tenant_id LowCardinality(String),
  customer360_id UUID,
  version UInt64 COMMENT 'version of the profile in the identity graph',
  created_at DateTime64(3, 'UTC'),
  changed_at DateTime64(3, 'UTC') COMMENT 'time of the change this row reflects; the latest wins',
  auth_user_id Nullable(String),
  primary_email Nullable(String),
  emails Array(String),
  primary_phone Nullable(String),
  phones Array(String),
  source_ids Map(String, Array(String)),
  first_name Nullable(String),
  last_name Nullable(String),
  city Nullable(String),
  country Nullable(String),
  traits Map(String, String) COMMENT 'all survived attributes',
  merged_into Nullable(UUID) COMMENT 'set when the profile was merged away'
) ENGINE = ReplacingMergeTree(changed_at)
ORDER BY (tenant_id, customer360_id)
COMMENT 'Profile identity and attributes';

-- Commerce aggregates computed by enrichment from the events of the profile and of every
-- profile merged into it.
CREATE TABLE IF NOT EXISTS {db}.profile_aggregates (
  tenant_id LowCardinality(String),
  customer360_id UUID,
  orders_count UInt32 COMMENT 'distinct order_completed events',
  total_revenue Float64 COMMENT 'sum of their amounts, major units',
  first_seen_at Nullable(DateTime64(3, 'UTC')),
  last_seen_at Nullable(DateTime64(3, 'UTC')),
  events_count UInt32 COMMENT 'distinct events of any type',
  computed_at DateTime64(3, 'UTC') COMMENT 'when computed; the latest wins'
) ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (tenant_id, customer360_id)
COMMENT 'Per-profile aggregates';

-- One row per current customer: identity joined with aggregates. Analysts start here.
CREATE VIEW IF NOT EXISTS {db}.customer360 AS
SELECT
  p.tenant_id AS tenant_id,
  p.customer360_id AS customer360_id,
  p.created_at AS created_at,
  p.auth_user_id AS auth_user_id,
  p.primary_email AS primary_email,
  p.emails AS emails,
  p.primary_phone AS primary_phone,
  p.phones AS phones,
  p.source_ids AS source_ids,
  p.first_name AS first_name,
  p.last_name AS last_name,
  p.city AS city,
  p.country AS country,
  p.traits AS traits,
  coalesce(a.orders_count, 0) AS orders_count,
  coalesce(a.total_revenue, 0) AS total_revenue,
  a.first_seen_at AS first_seen_at,
  a.last_seen_at AS last_seen_at
FROM (SELECT * FROM {db}.profiles FINAL WHERE merged_into IS NULL) AS p
LEFT JOIN (SELECT * FROM {db}.profile_aggregates FINAL) AS a
  ON a.tenant_id = p.tenant_id AND a.customer360_id = p.customer360_id;
