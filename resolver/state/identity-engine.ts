/**
 * The resolver's identity engine: each tenant's graph held in memory by the resolver that owns
 * the tenant (its events are keyed to one partition, so one resolver writes it), events resolved
 * against it in order with no database round trip per event, and what a batch changed written
 * behind in one transaction per tenant (write-behind.ts). Postgres stays the durable truth: a
 * tenant's state is built from it on first use and again whenever the write finds the tenant's
 * epoch moved (another resolver after a rebalance, a split, a soft delete, an erasure), or after
 * any failure, since the state then holds decisions that were not written.
 *
 * Per batch and tenant: one read (which of the events were linked before: redeliveries) and one
 * write transaction. Two engines on one tenant stay correct (the second to write starts over
 * from the stored graph), only slower.
 */
import type pg from 'pg';
import type { RawEvent } from '../../schemas/types.ts';
import type { Identifier, IdentifierType } from '../identifiers.ts';
import { personRecordOfEvent } from '../fuzzy/of-event.ts';
import type { Resolution } from '../resolution.ts';
import type { SurvivorshipRule } from '../survivorship.ts';
import type { MatchRecord } from '../match/record.ts';
import { seededRandom } from '../../platform/random.ts';
import { loadTenantState } from './load-tenant.ts';
import { resolveEvent, type BatchContext } from './resolve-event.ts';
import { countRecord, matchingFor, type TenantState } from './tenant-state.ts';
import { EpochMovedError, writeBehind } from './write-behind.ts';
import { emptyWriteSet, type WriteSet } from './write-set.ts';
import { mergeManually, type ManualMerge } from './manual-merge.ts';

export interface IdentityEngineDeps {
  pool: pg.Pool;
  sharingLimitsOf(tenantId: string): Promise<Partial<Record<IdentifierType, number>>>;
  rulesOf(tenantId: string): Promise<Record<string, SurvivorshipRule>>;
  /** Tenants held at most (least recently used first out). */
  maxTenants?: number;
  /** A tenant not used for this long is let go (built again when it comes back). */
  idleMs?: number;
}

/** Write attempts of one tenant's batch before giving up (each after building the state again). */
const ATTEMPTS = 8;

/** Up to `n` member records of the tenant's entities, at random: the sample u is estimated from. */
function sampleOf(state: TenantState, n: number): MatchRecord[] {
  const all: MatchRecord[] = [];
  for (const p of state.profiles.values()) if (p.entity >= 0) all.push(...state.index.members(p.entity));
  if (all.length <= n) return all;
  const random = seededRandom(all.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n);
}

export function createIdentityEngine(deps: IdentityEngineDeps) {
  const tenants = new Map<string, TenantState>();
  const locks = new Map<string, Promise<unknown>>();
  const maxTenants = deps.maxTenants ?? 1000;
  const idleMs = deps.idleMs ?? 15 * 60_000;
  const stats = { loads: 0, epochConflicts: 0 };

  /** One batch of a tenant at a time in this process. */
  function serialized<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const before = locks.get(tenantId) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    locks.set(tenantId, tail);
    void tail.then(() => {
      if (locks.get(tenantId) === tail) locks.delete(tenantId);
    });
    return run;
  }

  function letGo(now: number) {
    for (const [id, s] of tenants) if (now - s.lastUsed > idleMs) tenants.delete(id);
    if (tenants.size <= maxTenants) return;
    const byUse = [...tenants.values()].sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of byUse.slice(0, tenants.size - maxTenants)) tenants.delete(s.tenantId);
  }

  async function stateOf(tenantId: string): Promise<TenantState> {
    const held = tenants.get(tenantId);
    if (held) return held;
    const state = await loadTenantState(deps.pool, tenantId);
    stats.loads++;
    tenants.set(tenantId, state);
    return state;
  }

  /**
   * Changes a tenant's state and writes the change behind in one transaction; when the graph
   * moved meanwhile (EpochMovedError), or anything failed, the state is built again and the
   * change made again on it.
   */
  async function changeTenant<T>(tenantId: string, change: (state: TenantState, client: pg.PoolClient, writes: WriteSet) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const state = await stateOf(tenantId);
      const client = await deps.pool.connect();
      try {
        const writes = emptyWriteSet();
        const result = await change(state, client, writes);
        await client.query('BEGIN; SET LOCAL synchronous_commit = off');
        await writeBehind(client, state, writes);
        await client.query('COMMIT');
        state.epoch += 1;
        for (const r of writes.records) countRecord(state, r.match);
        state.lastUsed = Date.now();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        // The state holds decisions that were not written: it is built again from Postgres.
        tenants.delete(tenantId);
        if (!(error instanceof EpochMovedError) || attempt >= ATTEMPTS) throw error;
        stats.epochConflicts++;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      } finally {
        client.release();
      }
    }
  }

  async function resolveTenant(tenantId: string, items: { event: RawEvent; identifiers: Identifier[] }[]): Promise<Resolution[]> {
    const eventIds = items.map((i) => i.event.event_id);
    const [sharingLimits, rules] = await Promise.all([deps.sharingLimitsOf(tenantId), deps.rulesOf(tenantId)]);
    const records = items.map((i) => personRecordOfEvent(i.event));
    return changeTenant(tenantId, async (state, client, writes) => {
      const linked = await client.query<{ event_id: string; customer360_id: string; rule: Resolution['rule']; confidence: number }>(
        'SELECT event_id, customer360_id, rule, confidence FROM event_links WHERE tenant_id = $1 AND event_id = ANY($2::text[])',
        [tenantId, eventIds],
      );
      const matching = matchingFor(state, (n) => sampleOf(state, n));
      const ctx: BatchContext = {
        scorer: matching.scorer,
        entities: state.profiles.size,
        ...state.thresholds,
        sharingLimits,
        rules,
        linkedBefore: new Map(linked.rows.map((r) => [r.event_id, r])),
      };
      return items.map((item, n) => resolveEvent(state, { ...item, record: records[n]! }, ctx, writes));
    });
  }

  return {
    /** Resolves a batch in order; tenants of a batch are resolved side by side, each in its own transaction. */
    async resolveBatch(items: { event: RawEvent; identifiers: Identifier[] }[]): Promise<Resolution[]> {
      const byTenant = new Map<string, number[]>();
      items.forEach((item, n) => {
        const list = byTenant.get(item.event.tenant_id);
        if (list) list.push(n);
        else byTenant.set(item.event.tenant_id, [n]);
      });
      const results = new Array<Resolution>(items.length);
      await Promise.all(
        [...byTenant].map(async ([tenantId, indexes]) => {
          const resolved = await serialized(tenantId, () => resolveTenant(tenantId, indexes.map((n) => items[n]!)));
          indexes.forEach((n, k) => (results[n] = resolved[k]!));
        }),
      );
      letGo(Date.now());
      return results;
    },
    /**
     * Merges two profiles a person decided are one (manual-merge.ts), in turn with the tenant's
     * batches; MergeRefusedError when merge safety refuses or a profile is not the tenant's.
     */
    async merge(tenantId: string, ids: [string, string], evidence: Record<string, unknown>): Promise<ManualMerge> {
      const rules = await deps.rulesOf(tenantId);
      return serialized(tenantId, () => changeTenant(tenantId, async (state, _client, writes) => mergeManually(state, ids, { rules, evidence, now: new Date() }, writes)));
    },
    /** Lets a tenant's state go (it is built again on its next event): after this process changed its graph. */
    forget(tenantId: string): void {
      tenants.delete(tenantId);
    },
    /** Profiles held in memory, per tenant. */
    held(): { tenantId: string; profiles: number; records: number }[] {
      return [...tenants.values()].map((s) => ({ tenantId: s.tenantId, profiles: s.profiles.size, records: s.records }));
    },
    stats,
  };
}

export type IdentityEngine = ReturnType<typeof createIdentityEngine>;
