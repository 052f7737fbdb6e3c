/**
 * A profile as the API and the profile changes show it, read from the identity graph in one
 * statement (see readView).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { crmStateFromJson, profileCrmOf, type CrmLifecycleStage } from './crm-state.ts';
import type { Identifier } from './identifiers.ts';
import { contactOf } from './profile-change.ts';

export interface ProfileView {
  customer360_id: string;
  tenant_id: string;
  created_at: string;
  updated_at: string;
  version: number;
  auth_user_id: string | null;
  emails: string[];
  phones: string[];
  source_ids: Record<string, string[]>;
  anonymous_ids: string[];
  traits: Record<string, string>;
  merged_ids: string[];
  /** When the profile was soft-deleted (hidden from lookups, kept with its orders); null when active. */
  deleted_at: string | null;
  /** CRM state (resolver/crm-state.ts): every tag of its CRM records, and the status and stage the CRM stated last. */
  tags: string[];
  crm_status: string | null;
  crm_lifecycle_stage: CrmLifecycleStage | null;
  crm_lifecycle_changed_at: string | null;
  /** Current marketing consent per scope (the latest change by time). */
  consent: Record<string, { status: 'granted' | 'revoked'; policy_version: string | null; occurred_at: string; source: string; version: number }>;
}

/** A row of readView's statement. */
interface ViewRow {
  customer360_id: string;
  created_at: Date;
  updated_at: Date;
  version: string | number;
  traits: Record<string, { value: string }>;
  deleted_at: Date | null;
  /** [type, source, value, crm_state], most recently seen first. */
  ids: [Identifier['type'], string, string, unknown][];
  consent: { scope: string; status: 'granted' | 'revoked'; policy_version: string | null; occurred_at: string; source: string; version: number }[];
  merged_ids: string[];
  summary: Record<string, unknown> | null;
  segments: string[] | null;
  primary_segment: string | null;
}

/** With `summary`: the serving copies enrich writes (the aggregates; the segments, by ID, and the primary one of lowest priority). */
export type ProfileWithSummary = ProfileView & { summary: Record<string, unknown> | null; segments: string[]; primary_segment: string | null };

export const withoutSummary = ({ summary: _summary, segments: _segments, primary_segment: _primary, ...view }: ProfileWithSummary): ProfileView => view;

const statementNames = new Map<string, string>();

/**
 * A profile's view in one statement: its row, identifiers, current consent per scope, the
 * profiles merged into it and, with `summary`, the serving copy of its aggregates
 * (profile_summaries, written by enrich/) and of its segment membership (profile_segments). `start` selects one profile ID as `id` from $1 (the
 * tenant) and its own parameters; with `follow`, a merged-away profile answers its survivor.
 */
export async function readView(
  client: pg.PoolClient | pg.Pool,
  start: string,
  params: unknown[],
  options: { follow: boolean; summary: boolean },
): Promise<ProfileWithSummary | null> {
  const text = `WITH start AS (${start}),
     cur AS (SELECT ${options.follow ? 'coalesce(p.merged_into, p.customer360_id)' : 'p.customer360_id'} AS id
             FROM profiles p JOIN start s ON p.tenant_id = $1 AND p.customer360_id = s.id)
     SELECT p.customer360_id, p.created_at, p.updated_at, p.version, p.traits, p.deleted_at,
       (SELECT coalesce(json_agg(json_build_array(i.type, i.source, i.value, i.crm_state) ORDER BY i.last_seen DESC, i.seen_count DESC, i.value), '[]')
          FROM identifiers i WHERE i.tenant_id = $1 AND i.customer360_id = p.customer360_id) AS ids,
       (SELECT coalesce(json_agg(c ORDER BY c.scope), '[]') FROM (
          SELECT DISTINCT ON (scope) scope, status, policy_version, occurred_at, source, version FROM consent_records
           WHERE tenant_id = $1 AND customer360_id = p.customer360_id ORDER BY scope, occurred_at DESC, version DESC) c) AS consent,
       (SELECT coalesce(array_agg(m.customer360_id::text ORDER BY m.customer360_id), '{}') FROM profiles m
         WHERE m.tenant_id = $1 AND m.merged_into = p.customer360_id) AS merged_ids,
       ${options.summary ? '(SELECT s.aggregates FROM profile_summaries s WHERE s.tenant_id = $1 AND s.customer360_id = p.customer360_id)' : 'NULL::jsonb'} AS summary,
       ${options.summary ? "(SELECT coalesce(array_agg(g.segment_id ORDER BY g.segment_id), '{}') FROM profile_segments g WHERE g.tenant_id = $1 AND g.customer360_id = p.customer360_id)" : 'NULL::text[]'} AS segments,
       ${options.summary ? '(SELECT g.segment_id FROM profile_segments g WHERE g.tenant_id = $1 AND g.customer360_id = p.customer360_id ORDER BY g.priority, g.segment_id LIMIT 1)' : 'NULL::text'} AS primary_segment
     FROM cur JOIN profiles p ON p.tenant_id = $1 AND p.customer360_id = cur.id`;
  // A named statement: each connection parses and plans it once (the checkout lookup's hot path).
  let name = statementNames.get(text);
  if (!name) statementNames.set(text, (name = `profile_view_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`));
  const { rows } = await client.query<ViewRow>({ name, text, values: params });
  const row = rows[0];
  if (!row) return null;
  const contact = contactOf(row.ids.map(([type, source, value]) => ({ type, source, value })));
  const crm = profileCrmOf(row.ids.map(([, , , state]) => crmStateFromJson(state)));
  return {
    customer360_id: row.customer360_id,
    tenant_id: params[0] as string,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    version: Number(row.version),
    ...contact,
    traits: Object.fromEntries(Object.entries(row.traits).map(([k, v]) => [k, v.value])),
    merged_ids: row.merged_ids,
    tags: crm.tags,
    crm_status: crm.crm_status,
    crm_lifecycle_stage: crm.crm_lifecycle_stage,
    crm_lifecycle_changed_at: crm.crm_lifecycle_changed_at === null ? null : new Date(crm.crm_lifecycle_changed_at).toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
    consent: Object.fromEntries(
      row.consent.map((c) => [
        c.scope,
        { status: c.status, policy_version: c.policy_version, occurred_at: new Date(c.occurred_at).toISOString(), source: c.source, version: Number(c.version) },
      ]),
    ),
    summary: row.summary,
    segments: row.segments ?? [],
    primary_segment: row.primary_segment,
  };
}
