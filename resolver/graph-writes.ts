/**
 * Writes of the identity graph that take many rows in one statement: the single-event path and
 * the batch resolver use the same ones.
 */
import type pg from 'pg';
import type { RawEvent } from '../schemas/types.ts';
import type { IdentifierType } from './identifiers.ts';

export interface IdentifierSighting {
  tenantId: string;
  type: IdentifierType;
  source: string;
  value: string;
  customer360Id: string;
  firstSeen: Date;
  lastSeen: Date;
  /** How many events presented it. */
  count: number;
}

/**
 * Adds identifiers to their profile, or counts the sightings of ones it already owns (first and
 * last seen widened). One row per identifier: an identifier owned by another profile is left alone.
 */
export async function upsertIdentifiers(client: pg.PoolClient, rows: IdentifierSighting[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO identifiers (tenant_id, type, source, value, customer360_id, first_seen, last_seen, seen_count)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::timestamptz[], $7::timestamptz[], $8::bigint[])
     ON CONFLICT (tenant_id, type, source, value) DO UPDATE
       SET last_seen = GREATEST(identifiers.last_seen, EXCLUDED.last_seen),
           first_seen = LEAST(identifiers.first_seen, EXCLUDED.first_seen),
           seen_count = identifiers.seen_count + EXCLUDED.seen_count
       WHERE identifiers.customer360_id = EXCLUDED.customer360_id`,
    [
      rows.map((r) => r.tenantId),
      rows.map((r) => r.type),
      rows.map((r) => r.source),
      rows.map((r) => r.value),
      rows.map((r) => r.customer360Id),
      rows.map((r) => r.firstSeen),
      rows.map((r) => r.lastSeen),
      rows.map((r) => r.count),
    ],
  );
}

/** The consent change an event carries: opt-in/out, an unsubscribe, an SMS STOP; null for other events. */
export function consentOf(event: RawEvent): { scope: string; status: 'granted' | 'revoked'; policy_version: string | null; ip: string | null; reason: string | null } | null {
  if (event.consent_changed) {
    const { scope, other_scope, status, policy_version, ip, reason } = event.consent_changed;
    // A channel, or another scope the tenant configured (events written before other_scope have none).
    const name = other_scope ?? scope;
    return name ? { scope: name, status, policy_version, ip, reason } : null;
  }
  if (event.unsubscribed) return { scope: event.unsubscribed.channel, status: 'revoked', policy_version: null, ip: event.unsubscribed.ip, reason: event.unsubscribed.reason ?? 'unsubscribed' };
  if (event.sms_stop) return { scope: 'sms', status: 'revoked', policy_version: null, ip: null, reason: `keyword ${event.sms_stop.keyword}` };
  return null;
}

/** Adds a version of the profile's consent for the event's scope (under the profile's row lock). */
export async function recordConsent(client: pg.PoolClient, event: RawEvent, customer360Id: string): Promise<void> {
  const consent = consentOf(event);
  if (!consent) return;
  await client.query(
    `INSERT INTO consent_records (tenant_id, customer360_id, scope, status, version, policy_version, occurred_at, source, ip, event_type, event_id, reason)
     SELECT $1, $2, $3, $4, COALESCE(max(version), 0) + 1, $5, $6, $7, $8, $9, $10, $11
       FROM consent_records WHERE tenant_id = $1 AND customer360_id = $2 AND scope = $3
     ON CONFLICT (tenant_id, event_id) DO NOTHING`,
    [event.tenant_id, customer360Id, consent.scope, consent.status, consent.policy_version, new Date(event.occurred_at), event.source, consent.ip, event.type, event.event_id, consent.reason],
  );
}


/** Numbers a profile's consent versions 1, 2, ... per scope in the order recorded (after a merge or a split). */
export async function renumberConsent(client: pg.PoolClient, tenantId: string, customer360Id: string): Promise<void> {
  await client.query(
    `UPDATE consent_records c SET version = r.v
       FROM (SELECT event_id, row_number() OVER (PARTITION BY scope ORDER BY recorded_at, version, event_id)::int AS v
               FROM consent_records WHERE tenant_id = $1 AND customer360_id = $2) r
      WHERE c.tenant_id = $1 AND c.event_id = r.event_id AND c.version <> r.v`,
    [tenantId, customer360Id],
  );
}
