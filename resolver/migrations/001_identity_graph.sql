-- The identity graph. The tenant is the first column of every key: no lookup crosses tenants.

-- One row per profile ever issued. A merged-away profile keeps its row with merged_into set,
-- so its ID still resolves to the survivor.
CREATE TABLE IF NOT EXISTS profiles (
  tenant_id text NOT NULL,
  customer360_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version bigint NOT NULL DEFAULT 1,
  merged_into uuid,
  -- Survived attributes: {"first_name": {"value": "Ann", "at": 1700000000000, "source": "crm"}}
  traits jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, customer360_id)
);

-- Normalized identifiers and the profile that owns each.
CREATE TABLE IF NOT EXISTS identifiers (
  tenant_id text NOT NULL,
  type text NOT NULL,
  source text NOT NULL DEFAULT '',
  value text NOT NULL,
  customer360_id uuid NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  seen_count bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, type, source, value)
);
CREATE INDEX IF NOT EXISTS identifiers_by_profile ON identifiers (tenant_id, customer360_id);

-- Every event's resolution: the link, the rule and the confidence that made it. Also makes a
-- redelivered event change nothing.
CREATE TABLE IF NOT EXISTS event_links (
  tenant_id text NOT NULL,
  event_id text NOT NULL,
  customer360_id uuid NOT NULL,
  rule text NOT NULL,
  confidence double precision NOT NULL,
  evidence jsonb NOT NULL DEFAULT '[]',
  linked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);

-- Audit of every merge.
CREATE TABLE IF NOT EXISTS profile_merges (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  survivor_id uuid NOT NULL,
  merged_id uuid NOT NULL,
  event_id text,
  rule text NOT NULL,
  evidence jsonb NOT NULL DEFAULT '[]',
  merged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS profile_merges_by_survivor ON profile_merges (tenant_id, survivor_id);

-- Merges that the safety rules refused (different auth user IDs), for review.
CREATE TABLE IF NOT EXISTS blocked_merges (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  profile_ids uuid[] NOT NULL,
  event_id text,
  reason text NOT NULL,
  blocked_at timestamptz NOT NULL DEFAULT now()
);
