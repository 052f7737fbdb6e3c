/**
 * The consent scopes each tenant configured besides the marketing channels (consent_scopes):
 * listed and replaced through the API, and asked by the resolver for every consent event with
 * such a scope (cached for 30 s per process, so another process sees a change within that time).
 */
import type pg from 'pg';
import { inTransaction } from '../platform/transaction.ts';
import { CONSENT_CHANNELS, CONSENT_SCOPE_PATTERN, isChannel } from '../schemas/consent-scopes.ts';

export interface ConsentScope {
  scope: string;
  description: string;
}

export class ConsentScopeError extends Error {}

const CACHE_MS = 30_000;
/** Scopes a tenant may configure; far more than any privacy policy names. */
export const MAX_CONSENT_SCOPES = 50;

/** The scopes of a request body, checked: an array of { scope, description? }, each once, none a channel. */
export function parseConsentScopes(input: unknown): ConsentScope[] {
  if (!Array.isArray(input)) throw new ConsentScopeError('scopes must be an array');
  if (input.length > MAX_CONSENT_SCOPES) throw new ConsentScopeError(`at most ${MAX_CONSENT_SCOPES} scopes`);
  const seen = new Set<string>();
  return input.map((item, i) => {
    const entry = typeof item === 'string' ? { scope: item } : (item as Record<string, unknown> | null);
    const scope = entry?.scope;
    const description = entry?.description ?? '';
    if (typeof scope !== 'string' || !CONSENT_SCOPE_PATTERN.test(scope)) throw new ConsentScopeError(`scopes[${i}].scope must be lower case letters, digits and _ (up to 64, starting with a letter)`);
    if (isChannel(scope)) throw new ConsentScopeError(`scopes[${i}].scope: ${scope} is a channel, which every tenant has (${CONSENT_CHANNELS.join(', ')})`);
    if (seen.has(scope)) throw new ConsentScopeError(`scopes[${i}].scope: ${scope} is given twice`);
    if (typeof description !== 'string' || description.length > 500) throw new ConsentScopeError(`scopes[${i}].description must be text of up to 500 characters`);
    seen.add(scope);
    return { scope, description };
  });
}

export function createConsentScopeStore(pool: pg.Pool) {
  const cache = new Map<string, { scopes: ReadonlySet<string>; until: number }>();
  async function list(tenantId: string): Promise<ConsentScope[]> {
    const { rows } = await pool.query<ConsentScope>('SELECT scope, description FROM consent_scopes WHERE tenant_id = $1 ORDER BY scope', [tenantId]);
    return rows;
  }
  return {
    list,
    /** Replaces the tenant's scopes. Consent already recorded for a scope taken away stays, with its versions. */
    async replace(tenantId: string, scopes: ConsentScope[]): Promise<ConsentScope[]> {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM consent_scopes WHERE tenant_id = $1', [tenantId]);
        if (scopes.length) {
          await client.query('INSERT INTO consent_scopes (tenant_id, scope, description) SELECT $1, * FROM unnest($2::text[], $3::text[])', [
            tenantId,
            scopes.map((s) => s.scope),
            scopes.map((s) => s.description),
          ]);
        }
      });
      cache.delete(tenantId);
      return list(tenantId);
    },
    /** Whether the tenant records consent for a scope: a channel, or one it configured. */
    async allows(tenantId: string, scope: string): Promise<boolean> {
      if (isChannel(scope)) return true;
      let hit = cache.get(tenantId);
      if (!hit || hit.until <= Date.now()) {
        hit = { scopes: new Set((await list(tenantId)).map((s) => s.scope)), until: Date.now() + CACHE_MS };
        cache.set(tenantId, hit);
      }
      return hit.scopes.has(scope);
    },
  };
}

export type ConsentScopeStore = ReturnType<typeof createConsentScopeStore>;
