/**
 * The audit of API actions: every request that changes something (POST, PUT, PATCH, DELETE on a
 * route of role read or admin: soft deletes, splits, merges, settings, the blocklist, segments,
 * consent scopes, privacy requests, reviews) is recorded with the key that made it (by its public
 * ID), the route, the answer's status and, when it was done (below 400), the IDs in its path;
 * never its body. Events sent with
 * an ingest key are data, not actions, and are not recorded here.
 */
import type pg from 'pg';

export interface AuditEntry {
  tenantId: string;
  keyId: string;
  role: string;
  method: string;
  /** The route as declared (`/v1/profiles/:id`), and the values of its path parameters. */
  route: string;
  params: Record<string, string>;
  status: number;
}

export interface AuditRow {
  id: string;
  at: string;
  key_id: string;
  role: string;
  method: string;
  route: string;
  params: Record<string, string>;
  status: number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a request of this method and route role is an action to audit. */
export const isAuditedAction = (method: string, role: string | undefined) => MUTATING.has(method) && (role === 'admin' || role === 'read');

export function createApiAudit(pool: pg.Pool) {
  return {
    async record(entry: AuditEntry): Promise<void> {
      await pool.query('INSERT INTO api_audit (tenant_id, key_id, role, method, route, params, status) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        entry.tenantId,
        entry.keyId,
        entry.role,
        entry.method,
        entry.route,
        JSON.stringify(entry.params),
        entry.status,
      ]);
    },
    /** A tenant's actions, newest first; `before` is the ID of the last one of the previous page. */
    async list(tenantId: string, options: { limit: number; before?: string }): Promise<AuditRow[]> {
      const { rows } = await pool.query<AuditRow & { at: Date }>(
        `SELECT id::text, at, key_id, role, method, route, params, status FROM api_audit
          WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
        [tenantId, options.before ?? null, options.limit],
      );
      return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
    },
  };
}

export type ApiAudit = ReturnType<typeof createApiAudit>;
