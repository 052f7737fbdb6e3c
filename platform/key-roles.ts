/**
 * The role of an API key inside its tenant: `ingest` sends events, `read` looks profiles and
 * segments up, `admin` does everything. Each route states the role it needs (`x-c360-role` in
 * docs/openapi.yaml, given to the route by platform/openapi-inputs.ts).
 */
export const KEY_ROLES = ['ingest', 'read', 'admin'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

export const isKeyRole = (value: unknown): value is KeyRole => (KEY_ROLES as readonly unknown[]).includes(value);

/** A key given without a role: `ingest` when it is limited to some sources, else `admin`. */
export function defaultRole(sources: readonly string[] | null | undefined): KeyRole {
  return sources && sources.length > 0 ? 'ingest' : 'admin';
}

/** Whether a key of `role` may use a route that needs `needed`: admin every route, the others their own. */
export function roleAllows(role: KeyRole, needed: KeyRole): boolean {
  return role === 'admin' || role === needed;
}
