-- The version of each tenant's identity graph. The resolver that owns a tenant holds its graph
-- in memory and writes behind once per batch, moving the epoch by one in the same transaction
-- (only from the epoch it last read or wrote). Anyone else who changes the graph (a split, a
-- soft delete, an erasure, a reset) moves it too, so the owner's next write finds it moved,
-- rolls back and builds the tenant's state again from these tables.
CREATE TABLE IF NOT EXISTS identity_epochs (
  tenant_id  text PRIMARY KEY,
  epoch      bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
