-- The schema registry of deployments without a Schema Registry server: every version of every
-- subject's schema, with registry-style global IDs, so messages written with an older schema
-- still decode after a schema change and a restart.
CREATE TABLE IF NOT EXISTS schema_versions (
  id          serial PRIMARY KEY,
  subject     text NOT NULL,
  version     integer NOT NULL,
  schema      text NOT NULL,
  fingerprint text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subject, version),
  UNIQUE (subject, fingerprint)
);
