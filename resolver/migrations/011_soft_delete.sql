-- Soft delete: a profile hidden from the active directory (lookups, customer360, segments) but
-- kept with its identifiers, links and orders; new events still link to it. Null when active.
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS deleted_at timestamptz;
