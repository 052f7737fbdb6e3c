-- Versioned marketing consent: one row per change (opt-in, opt-out, unsubscribe, SMS STOP), never
-- updated except to follow a merge. The current consent of a scope is its latest row by time.
CREATE TABLE IF NOT EXISTS consent_records (
  tenant_id       text NOT NULL,
  customer360_id  uuid NOT NULL,
  scope           text NOT NULL,            -- email, sms, push, whatsapp
  status          text NOT NULL CHECK (status IN ('granted', 'revoked')),
  version         integer NOT NULL,         -- 1, 2, ... per profile and scope, in the order recorded (renumbered when profiles merge)
  policy_version  text,
  occurred_at     timestamptz NOT NULL,     -- when the person gave or withdrew it
  source          text NOT NULL,            -- crm, messaging, web, ...
  ip              text,
  event_type      text NOT NULL,            -- consent_changed, unsubscribed, sms_stop
  event_id        text NOT NULL,
  reason          text,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX IF NOT EXISTS consent_records_profile ON consent_records (tenant_id, customer360_id, scope, occurred_at DESC, version DESC);
