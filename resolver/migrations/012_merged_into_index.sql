-- Profiles merged into a profile (every profile view lists them): an index instead of a scan of
-- the tenant's profiles, which the checkout lookup paid on every call.
CREATE INDEX IF NOT EXISTS profiles_merged_into ON profiles (tenant_id, merged_into) WHERE merged_into IS NOT NULL;
