-- API keys issued with `c360 keys create`: only the SHA-256 digest of a key is stored; the key
-- itself is shown once, when it is created. Each key belongs to one tenant and may be limited to
-- some sources.
CREATE TABLE IF NOT EXISTS api_keys (
  key_id      text PRIMARY KEY,                 -- the public part of the key, for listing and revoking
  digest      text NOT NULL UNIQUE,             -- hex SHA-256 of the whole key
  tenant_id   text NOT NULL,
  sources     text[],                           -- null: every source
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
