-- Fuzzy evidence for probabilistic matching. Every distinct person record (names, date of birth,
-- address) seen for a profile, its blocking keys, the match model of each tenant, and the review
-- queue of probable matches below the automatic threshold.
CREATE TABLE IF NOT EXISTS person_records (
  tenant_id       text NOT NULL,
  customer360_id  uuid NOT NULL,
  fingerprint     text NOT NULL,          -- digest of the normalized record: one row per distinct record
  record          jsonb NOT NULL,         -- the normalized PersonRecord
  event_id        text NOT NULL,          -- the first event that carried it
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, customer360_id, fingerprint)
);

CREATE TABLE IF NOT EXISTS blocking_keys (
  tenant_id       text NOT NULL,
  key             text NOT NULL,          -- e.g. "dob:19800412", "names:ANS|SM0"
  customer360_id  uuid NOT NULL,
  PRIMARY KEY (tenant_id, key, customer360_id)
);
CREATE INDEX IF NOT EXISTS blocking_keys_by_profile ON blocking_keys (tenant_id, customer360_id);

-- The Fellegi-Sunter model and thresholds of a tenant (defaults when absent).
CREATE TABLE IF NOT EXISTS match_models (
  tenant_id        text PRIMARY KEY,
  model            jsonb NOT NULL,
  link_threshold   double precision NOT NULL,
  review_threshold double precision NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Probable matches between the review and the link thresholds: suggested merges for a person.
CREATE TABLE IF NOT EXISTS match_reviews (
  id              bigserial PRIMARY KEY,
  tenant_id       text NOT NULL,
  customer360_id  uuid NOT NULL,          -- the profile the event went to
  candidate_id    uuid NOT NULL,          -- the profile it may be the same person as
  probability     double precision NOT NULL,
  evidence        jsonb NOT NULL,         -- the comparisons and their weights
  event_id        text NOT NULL,
  status          text NOT NULL DEFAULT 'open',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS match_reviews_open ON match_reviews (tenant_id, status, created_at);
