/**
 * API keys: those of C360_API_KEYS (kept in memory as digests) and those issued with
 * `c360 keys create`, kept in Postgres as SHA-256 digests only. A key is shown once, when it is
 * created; it can be listed (by its public ID) and revoked. A revoked key stops working within
 * the cache time of the servers (KEY_CACHE_MS).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { ApiKey } from './config.ts';
import { KEY_ROLES, defaultRole, isKeyRole, type KeyRole } from './key-roles.ts';

export interface KeyGrant {
  tenantId: string;
  /** Sources the key may send; null for every source. */
  sources: string[] | null;
  role: KeyRole;
  /** The key's public ID, for audits: an issued key's key_id, or "config-" and the start of a configured key's digest. */
  keyId: string;
}

export interface IssuedKey {
  key_id: string;
  tenant_id: string;
  sources: string[] | null;
  role: KeyRole;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export const KEY_CACHE_MS = 10_000;
const CACHE_LIMIT = 10_000;

const digestOf = (key: string) => createHash('sha256').update(key).digest();

/** Keys of the configuration, compared in constant time against their digests. */
export function createKeyring(apiKeys: ApiKey[]): (presented: string) => KeyGrant | null {
  const entries = apiKeys.map((k) => {
    const digest = digestOf(k.key);
    const sources = k.sources ?? null;
    return { digest, grant: { tenantId: k.tenantId, sources, role: k.role ?? defaultRole(sources), keyId: `config-${digest.toString('hex').slice(0, 12)}` } };
  });
  return (presented) => {
    const digest = digestOf(presented);
    let found: KeyGrant | null = null;
    for (const entry of entries) if (timingSafeEqual(entry.digest, digest)) found = entry.grant;
    return found;
  };
}

export class KeyError extends Error {}

/** `knownSources`: the sources a key may be limited to (the event catalog's). */
export function createKeyStore(pool: pg.Pool, knownSources: readonly string[]) {
  const cache = new Map<string, { grant: KeyGrant | null; until: number }>();
  const row = (r: Record<string, any>): IssuedKey => ({
    key_id: r.key_id,
    tenant_id: r.tenant_id,
    sources: r.sources,
    role: isKeyRole(r.role) ? r.role : defaultRole(r.sources),
    name: r.name,
    created_at: r.created_at.toISOString(),
    revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
  });
  return {
    /** Issues a key; the returned key is the only time it exists in clear. */
    async create(options: { tenantId: string; sources?: string[] | null; role?: string | null; name?: string | null }): Promise<{ key: string; issued: IssuedKey }> {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.tenantId)) throw new KeyError('a tenant may hold only letters, digits, "_" and "-" (at most 64)');
      const sources = options.sources?.length ? options.sources : null;
      const unknown = sources?.filter((s) => !knownSources.includes(s)) ?? [];
      if (unknown.length) throw new KeyError(`unknown source ${unknown.join(', ')}; sources are ${knownSources.join(', ')}`);
      if (options.role != null && !isKeyRole(options.role)) throw new KeyError(`unknown role ${options.role}; roles are ${KEY_ROLES.join(', ')}`);
      const role = options.role ?? defaultRole(sources);
      const keyId = randomBytes(6).toString('hex');
      const key = `c360_${keyId}_${randomBytes(24).toString('base64url')}`;
      const { rows } = await pool.query(
        'INSERT INTO api_keys (key_id, digest, tenant_id, sources, role, name) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [keyId, digestOf(key).toString('hex'), options.tenantId, sources, role, options.name ?? null],
      );
      return { key, issued: row(rows[0]) };
    },
    async list(tenantId?: string): Promise<IssuedKey[]> {
      const { rows } = await pool.query(
        'SELECT key_id, tenant_id, sources, role, name, created_at, revoked_at FROM api_keys WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY created_at',
        [tenantId ?? null],
      );
      return rows.map(row);
    },
    async revoke(keyId: string): Promise<IssuedKey> {
      const { rows } = await pool.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1 RETURNING *', [keyId]);
      if (!rows[0]) throw new KeyError(`no key with ID ${keyId}`);
      return row(rows[0]);
    },
    /** The tenant, sources and role of a presented key, or null; answers are cached for KEY_CACHE_MS. */
    async lookup(presented: string): Promise<KeyGrant | null> {
      if (!presented.startsWith('c360_') || presented.length > 200) return null;
      const digest = digestOf(presented).toString('hex');
      const now = Date.now();
      const hit = cache.get(digest);
      if (hit && hit.until > now) return hit.grant;
      const { rows } = await pool.query<{ key_id: string; tenant_id: string; sources: string[] | null; role: string | null }>(
        'SELECT key_id, tenant_id, sources, role FROM api_keys WHERE digest = $1 AND revoked_at IS NULL',
        [digest],
      );
      const found = rows[0];
      const grant = found ? { tenantId: found.tenant_id, sources: found.sources, role: isKeyRole(found.role) ? found.role : defaultRole(found.sources), keyId: found.key_id } : null;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(digest, { grant, until: now + KEY_CACHE_MS });
      return grant;
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
