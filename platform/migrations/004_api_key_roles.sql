-- The role of an issued key inside its tenant: ingest (send events), read (lookups, timelines,
-- segment exports) or admin (everything). Null for keys issued before roles: ingest when the
-- key is limited to some sources, else admin (platform/key-roles.ts).
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS role text CHECK (role IN ('ingest', 'read', 'admin'));
