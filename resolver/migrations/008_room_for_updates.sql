-- The resolver updates identifiers (last seen, count) and profiles (traits, version) in place on
-- every event. Leaving room in each page lets Postgres write the new row version beside the old
-- one without touching the indexes (a HOT update). Applies to pages written from now on; run
-- VACUUM FULL on a large existing graph to rewrite it.
ALTER TABLE identifiers SET (fillfactor = 85);
ALTER TABLE profiles SET (fillfactor = 85);
