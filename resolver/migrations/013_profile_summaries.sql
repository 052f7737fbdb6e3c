-- The serving copy of each current profile's aggregates and scores, for the read API.
-- enrich/ computes them into ClickHouse (profile_aggregates) and writes the same row here, so a
-- checkout lookup is answered by Postgres alone, in one statement, without a warehouse query.
CREATE TABLE IF NOT EXISTS profile_summaries (
  tenant_id text NOT NULL,
  customer360_id uuid NOT NULL,
  -- The fields of profile_aggregates without the tenant and profile ID, as the API answers them.
  aggregates jsonb NOT NULL,
  -- When enrich computed them: an older computation never replaces a newer one.
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, customer360_id)
) WITH (fillfactor = 85);
