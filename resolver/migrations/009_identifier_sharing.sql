-- Profiles that presented an identifier owned by another profile they were refused a merge with:
-- a household's landline, a family inbox, a shop's phone typed for every walk-in. The owner and
-- these are the profiles sharing the value; once more share it than the tenant's limit for its
-- type (identifier_sharing_limits, else 5 for emails, phones and anonymous IDs), the value stops
-- being a merge key: events carrying it are matched by their other evidence.
CREATE TABLE IF NOT EXISTS identifier_sharers (
  tenant_id       text NOT NULL,
  type            text NOT NULL,
  source          text NOT NULL DEFAULT '',
  value           text NOT NULL,
  customer360_id  uuid NOT NULL,          -- a profile other than the owner that presented it
  first_seen      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type, source, value, customer360_id)
);
CREATE INDEX IF NOT EXISTS identifier_sharers_by_profile ON identifier_sharers (tenant_id, customer360_id);

ALTER TABLE tenant_settings ADD COLUMN IF NOT EXISTS identifier_sharing_limits jsonb;
