-- Data-subject requests. An erased person's identifiers and event IDs are kept only as SHA-256
-- digests, so a replay of their old events is recognised and dropped without keeping the values.
CREATE TABLE IF NOT EXISTS erasure_suppressions (
  tenant_id    text NOT NULL,
  kind         text NOT NULL,            -- an identifier type (email, phone, ...) or 'event'
  digest       text NOT NULL,            -- sha256 of "<source>\x1f<normalized value>" (or of the event ID)
  request_id   bigint NOT NULL,
  erased_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, kind, digest)
);

-- Every export and erasure: who, what, when, and counts (never personal data).
CREATE TABLE IF NOT EXISTS privacy_requests (
  id              bigserial PRIMARY KEY,
  tenant_id       text NOT NULL,
  kind            text NOT NULL,         -- export or erase
  customer360_id  uuid NOT NULL,
  requested_by    text,                  -- the API key's ID
  requested_at    timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  summary         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS privacy_requests_by_tenant ON privacy_requests (tenant_id, requested_at);
