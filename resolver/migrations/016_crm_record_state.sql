-- The state a CRM gives each of its records (tags, status, lifecycle stage, with the time each
-- was set), kept on the record's source ID: a merge carries it, a split gives it back, and
-- contact_deleted takes it away with the ID. Null for every other identifier.
ALTER TABLE identifiers ADD COLUMN IF NOT EXISTS crm_state jsonb;
