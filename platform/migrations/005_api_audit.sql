-- The audit of API actions (platform/api-audit.ts): which key (by its public ID) changed what,
-- when, through which route, with the IDs in the path and the answer's status; never a body.
CREATE TABLE IF NOT EXISTS api_audit (
  id        bigserial PRIMARY KEY,
  tenant_id text NOT NULL,
  key_id    text NOT NULL,
  role      text NOT NULL,
  method    text NOT NULL,
  route     text NOT NULL,
  params    jsonb NOT NULL DEFAULT '{}',
  status    integer NOT NULL,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS api_audit_by_tenant ON api_audit (tenant_id, id DESC);
