-- Survivorship: every distinct value seen for each field of a profile (the latest 20 per field,
-- with source, first and last seen, count), and each tenant's rule per field.
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS trait_history jsonb NOT NULL DEFAULT '{}';

CREATE TABLE IF NOT EXISTS survivorship_rules (
  tenant_id   text PRIMARY KEY,
  rules       jsonb NOT NULL,        -- {"first_name": {"rule": "source_priority", "sources": ["crm", "pos"]}, ...}
  updated_at  timestamptz NOT NULL DEFAULT now()
);
