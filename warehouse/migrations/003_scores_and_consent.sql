-- Marketing consent per channel and the scores of the Customer 360 (docs/scores.md), per
-- current profile, beside its aggregates.
ALTER TABLE {db}.profile_aggregates
  ADD COLUMN IF NOT EXISTS consent Map(String, String) COMMENT 'current consent per channel (email, sms, push, whatsapp): granted or revoked, the latest change by time (consent_changed, unsubscribed, sms_stop)',
  ADD COLUMN IF NOT EXISTS spend_12m Float64 DEFAULT 0 COMMENT 'net revenue of the 12 months before computed_at (loyalty tier)',
  ADD COLUMN IF NOT EXISTS repeat_purchases UInt32 DEFAULT 0 COMMENT 'orders after the first (BG/NBD x)',
  ADD COLUMN IF NOT EXISTS p_alive Float64 DEFAULT 0 COMMENT 'probability the customer is still active (BG/NBD), 0 without orders',
  ADD COLUMN IF NOT EXISTS churn_risk Float64 DEFAULT 0 COMMENT '1 - p_alive for customers with orders, 0 otherwise',
  ADD COLUMN IF NOT EXISTS expected_purchases_12m Float64 DEFAULT 0 COMMENT 'expected orders in the next 365 days (BG/NBD)',
  ADD COLUMN IF NOT EXISTS predicted_ltv_12m Float64 DEFAULT 0 COMMENT 'expected orders x expected order value (Gamma-Gamma), next 365 days',
  ADD COLUMN IF NOT EXISTS ltv Float64 DEFAULT 0 COMMENT 'lifetime value: net revenue so far + predicted_ltv_12m',
  ADD COLUMN IF NOT EXISTS propensity_to_buy Float64 DEFAULT 0 COMMENT 'probability of an order in the next 30 days',
  ADD COLUMN IF NOT EXISTS engagement_score UInt8 DEFAULT 0 COMMENT '0-100 from recency and frequency of interactions, decayed',
  ADD COLUMN IF NOT EXISTS lifecycle_stage LowCardinality(String) DEFAULT '' COMMENT 'SUBSCRIBER, LEAD, PROSPECT, CUSTOMER, MEMBER, ADVOCATE or CHURNED',
  ADD COLUMN IF NOT EXISTS inactive_24m Bool DEFAULT false COMMENT 'no event for more than 24 months',
  ADD COLUMN IF NOT EXISTS loyalty_tier LowCardinality(String) DEFAULT '' COMMENT 'tier by spend_12m, recalculated on a schedule',
  ADD COLUMN IF NOT EXISTS loyalty_points UInt64 DEFAULT 0 COMMENT 'points balance: one per unit of net revenue';
