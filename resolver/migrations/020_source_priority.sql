-- The tenant's ranking of its systems of record, most trusted first (the sources crm, pos, web,
-- messaging): the profile's primary source is the first of them it has events from. Null: the
-- default, crm, pos, messaging, web. Written complete by the settings API (sources a tenant
-- leaves out are appended in the default order).
ALTER TABLE tenant_settings ADD COLUMN IF NOT EXISTS source_priority text[];
