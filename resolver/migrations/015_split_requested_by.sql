-- Which API key (by its public ID) asked for a split, as privacy_requests.requested_by does for
-- exports and erasures.
ALTER TABLE profile_splits ADD COLUMN IF NOT EXISTS requested_by text;
