-- Commerce and engagement counters per profile and day, kept by a materialized view as events
-- are written: live for analysts and dashboards, between enrich's recomputations. Every count is
-- a set of event IDs and every sum a set of (event ID, amount), so a redelivered event, written
-- again to events, is still counted once. customer360_id is the profile the event was linked to
-- when it was resolved: attribute it to the current profile through profile_id_map (the view
-- profile_daily_activity below does). The event types are those of enrich/compute-aggregates.ts.
CREATE TABLE IF NOT EXISTS {db}.profile_daily_activity_state (
  tenant_id LowCardinality(String) COMMENT 'tenant that owns the events',
  customer360_id UUID COMMENT 'profile the events were linked to when resolved (current one: profile_id_map)',
  day Date COMMENT 'day the events happened (UTC)',
  events AggregateFunction(uniqExact, String) COMMENT 'distinct events',
  orders AggregateFunction(groupUniqArray, Tuple(String, Float64)) COMMENT '(event ID, amount) of each order_completed',
  refunds AggregateFunction(groupUniqArray, Tuple(String, Float64)) COMMENT '(event ID, amount) of each order_refunded',
  email_opens AggregateFunction(uniqExact, String) COMMENT 'message_opened events on the email channel',
  email_clicks AggregateFunction(uniqExact, String) COMMENT 'message_clicked events on the email channel',
  pushes_sent AggregateFunction(uniqExact, String) COMMENT 'message_sent events on the push channel',
  support_tickets AggregateFunction(uniqExact, String) COMMENT 'support_ticket_created and ticket_created events',
  first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')) COMMENT 'first event of the day',
  last_seen_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')) COMMENT 'last event of the day'
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, customer360_id, day)
COMMENT 'Aggregate states per profile and day, kept by profile_daily_activity_mv; read through the view profile_daily_activity';

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.profile_daily_activity_mv TO {db}.profile_daily_activity_state AS
SELECT
  tenant_id, customer360_id, toDate(occurred_at) AS day,
  uniqExactState(event_id) AS events,
  groupUniqArrayStateIf((event_id, amount), type = 'order_completed') AS orders,
  groupUniqArrayStateIf((event_id, amount), type = 'order_refunded') AS refunds,
  uniqExactStateIf(event_id, type = 'message_opened' AND JSONExtractString(properties, 'channel') = 'email') AS email_opens,
  uniqExactStateIf(event_id, type = 'message_clicked' AND JSONExtractString(properties, 'channel') = 'email') AS email_clicks,
  uniqExactStateIf(event_id, type = 'message_sent' AND JSONExtractString(properties, 'channel') = 'push') AS pushes_sent,
  uniqExactStateIf(event_id, type IN ('support_ticket_created', 'ticket_created')) AS support_tickets,
  min(occurred_at) AS first_seen_at,
  max(occurred_at) AS last_seen_at
FROM {db}.events
GROUP BY tenant_id, customer360_id, day;

-- Events written before this migration.
INSERT INTO {db}.profile_daily_activity_state
SELECT
  tenant_id, customer360_id, toDate(occurred_at) AS day,
  uniqExactState(event_id),
  groupUniqArrayStateIf((event_id, amount), type = 'order_completed'),
  groupUniqArrayStateIf((event_id, amount), type = 'order_refunded'),
  uniqExactStateIf(event_id, type = 'message_opened' AND JSONExtractString(properties, 'channel') = 'email'),
  uniqExactStateIf(event_id, type = 'message_clicked' AND JSONExtractString(properties, 'channel') = 'email'),
  uniqExactStateIf(event_id, type = 'message_sent' AND JSONExtractString(properties, 'channel') = 'push'),
  uniqExactStateIf(event_id, type IN ('support_ticket_created', 'ticket_created')),
  min(occurred_at),
  max(occurred_at)
FROM {db}.events FINAL
GROUP BY tenant_id, customer360_id, day;

-- The counters per current profile and day: merged-away profiles' days are their survivor's.
CREATE OR REPLACE VIEW {db}.profile_daily_activity AS
SELECT
  s.tenant_id AS tenant_id,
  if(empty(m.current_id), s.customer360_id, m.current_id) AS customer360_id,
  s.day AS day,
  toUInt32(uniqExactMerge(s.events)) AS events_count,
  toUInt32(length(groupUniqArrayMerge(s.orders))) AS orders_count,
  arraySum(o -> o.2, groupUniqArrayMerge(s.orders)) AS revenue,
  toUInt32(length(groupUniqArrayMerge(s.refunds))) AS refunds_count,
  arraySum(r -> r.2, groupUniqArrayMerge(s.refunds)) AS refunds_amount,
  toUInt32(uniqExactMerge(s.email_opens)) AS email_opens,
  toUInt32(uniqExactMerge(s.email_clicks)) AS email_clicks,
  toUInt32(uniqExactMerge(s.pushes_sent)) AS pushes_sent,
  toUInt32(uniqExactMerge(s.support_tickets)) AS support_tickets,
  min(s.first_seen_at) AS first_seen_at,
  max(s.last_seen_at) AS last_seen_at
FROM {db}.profile_daily_activity_state AS s
LEFT JOIN (
  SELECT tenant_id, profile_id, argMax(current_id, changed_at) AS current_id
  FROM {db}.profile_id_map GROUP BY tenant_id, profile_id
) AS m ON m.tenant_id = s.tenant_id AND m.profile_id = s.customer360_id
GROUP BY tenant_id, customer360_id, day;
