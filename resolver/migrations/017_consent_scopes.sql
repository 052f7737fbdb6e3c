-- The consent scopes a tenant records besides the four marketing channels (terms of service,
-- profiling, ...). Versions of their consent are kept in consent_records like the channels'.
CREATE TABLE IF NOT EXISTS consent_scopes (
  tenant_id   text NOT NULL,
  scope       text NOT NULL,                -- lower case letters, digits and _; never a channel name
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, scope)
);
