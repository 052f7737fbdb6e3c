-- Identity settings of a tenant: the region of phone numbers written without a country code, and
-- whether email provider rules apply (Gmail dots and +tags, +tags of other providers).
CREATE TABLE IF NOT EXISTS tenant_settings (
  tenant_id             text PRIMARY KEY,
  default_region        text,            -- null: C360_DEFAULT_REGION
  email_provider_rules  boolean NOT NULL DEFAULT false,
  updated_at            timestamptz NOT NULL DEFAULT now()
);
