-- The console's search by the start of a name (resolver/profile-search.ts): active profiles by
-- their lower-cased first and last name.
CREATE INDEX IF NOT EXISTS profiles_first_name_prefix ON profiles (tenant_id, (lower(traits->'first_name'->>'value')) text_pattern_ops)
  WHERE merged_into IS NULL AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS profiles_last_name_prefix ON profiles (tenant_id, (lower(traits->'last_name'->>'value')) text_pattern_ops)
  WHERE merged_into IS NULL AND deleted_at IS NULL;
