/** `c360 keys create | list | revoke`: API keys kept in Postgres as digests. */
import { createKeyStore, KEY_CACHE_MS, KeyError, type IssuedKey } from '../platform/api-keys.ts';
import type { ToolPostgres } from '../platform/tool-postgres.ts';
import { SOURCES } from '../schemas/types.ts';

const line = (k: IssuedKey) =>
  [k.key_id, k.tenant_id, k.role, k.sources?.join('+') ?? 'all sources', k.created_at, k.revoked_at ? `revoked ${k.revoked_at}` : 'active', k.name ?? ''].join('  ');

export async function runKeysCommand(
  withPostgres: ToolPostgres,
  action: { create?: { tenant: string; sources?: string; role?: string; name?: string }; list?: { tenant?: string }; revoke?: { keyId: string } },
): Promise<number> {
  return withPostgres(async (postgres) => {
    const store = createKeyStore(postgres.pool, SOURCES);
    try {
      if (action.create) {
        const sources = action.create.sources ? action.create.sources.split(/[,+]/).map((s) => s.trim()).filter(Boolean) : null;
        const { key, issued } = await store.create({ tenantId: action.create.tenant, sources, role: action.create.role ?? null, name: action.create.name ?? null });
        process.stdout.write(
          `${key}\n\nKey ${issued.key_id} for tenant ${issued.tenant_id}, role ${issued.role} (${issued.sources?.join(', ') ?? 'all sources'}).\n` +
            'Keep it now: only its digest is stored, it cannot be shown again.\n',
        );
      } else if (action.list) {
        const keys = await store.list(action.list.tenant);
        process.stdout.write(keys.length ? `${keys.map(line).join('\n')}\n` : 'no keys issued\n');
      } else if (action.revoke) {
        const revoked = await store.revoke(action.revoke.keyId);
        process.stdout.write(`${line(revoked)}\nServers stop taking it within ${KEY_CACHE_MS / 1000} s.\n`);
      }
      return 0;
    } catch (error) {
      if (error instanceof KeyError) {
        process.stderr.write(`c360 keys: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  });
}
