-- What each merge moved, so that a split can put it back; the splits themselves; and the pairs
-- a person split, which the resolver never merges again automatically.
ALTER TABLE profile_merges ADD COLUMN IF NOT EXISTS moved jsonb NOT NULL DEFAULT '{}';
ALTER TABLE profile_merges ADD COLUMN IF NOT EXISTS split_at timestamptz;

CREATE TABLE IF NOT EXISTS profile_splits (
  id              bigserial PRIMARY KEY,
  tenant_id       text NOT NULL,
  survivor_id     uuid NOT NULL,
  restored_id     uuid NOT NULL,
  merge_id        bigint NOT NULL,
  reason          text,
  split_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS merge_exclusions (
  tenant_id  text NOT NULL,
  profile_a  uuid NOT NULL,   -- the smaller of the two IDs
  profile_b  uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, profile_a, profile_b)
);
