-- Junk identifier values of a tenant, on top of the built-in ones (resolver/normalize.ts): the
-- store's own placeholder email, the shop's landline typed for walk-ins, a test loyalty card,
-- a whole email domain. A blocked value is never an identifier: never a merge key, never attached.
-- Values are stored normalized like identifiers (emails without provider rules, phones in E.164,
-- IDs trimmed; domains lower-cased without "@"), so two spellings of one value are one row.
CREATE TABLE IF NOT EXISTS identifier_blocklist (
  tenant_id  text NOT NULL,
  type       text NOT NULL CHECK (type IN ('auth_user_id', 'email', 'phone', 'anonymous_id', 'source_record_id')),
  kind       text NOT NULL DEFAULT 'exact' CHECK (kind IN ('exact', 'email_domain')),
  source     text NOT NULL DEFAULT '',   -- source_record_id: the source system; '' for every source
  value      text NOT NULL,
  reason     text,
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type, kind, source, value),
  CHECK (kind = 'exact' OR type = 'email'),
  CHECK (source = '' OR type = 'source_record_id')
);
