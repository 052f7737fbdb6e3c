-- The serving copy of segment membership (enrich/segments/serving.ts): the segments each
-- profile belongs to now, with each segment's priority, written by enrich as memberships change,
-- so the read API answers a profile's segments and primary segment from Postgres. ClickHouse
-- (segment_membership) stays the record.
CREATE TABLE IF NOT EXISTS profile_segments (
  tenant_id      text NOT NULL,
  customer360_id uuid NOT NULL,
  segment_id     text NOT NULL,
  priority       integer NOT NULL,
  PRIMARY KEY (tenant_id, customer360_id, segment_id)
);
CREATE INDEX IF NOT EXISTS profile_segments_by_segment ON profile_segments (tenant_id, segment_id);
