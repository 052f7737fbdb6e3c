/**
 * Writes the resolved stream into ClickHouse: events, profile snapshots, the profile ID map.
 */
import { clickhouseTime, type ClickHouseHandle } from '../platform/clickhouse.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';
import { STATE_KINDS } from '../schemas/profile-changes.ts';
import { minorUnitsPerMajor } from '../schemas/from-json.ts';


function amountOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : 0;
}

/**
 * The order ID, amount in major units and currency of an event: from the typed POS record of
 * order_completed / order_refunded (minor units converted by the currency's exponent), else
 * from the free-form properties (order_id, amount, currency) other sources send.
 */
export function commerceOf(e: ResolvedEvent): { order_id: string; amount: number; currency: string } {
  const order = e.order_completed;
  if (order) return { order_id: order.order_id, amount: order.total_minor / minorUnitsPerMajor(order.currency), currency: order.currency };
  const refund = e.order_refunded;
  if (refund) return { order_id: refund.order_id, amount: refund.amount_minor / minorUnitsPerMajor(refund.currency), currency: refund.currency };
  const p = e.properties;
  return {
    order_id: p.order_id === undefined || p.order_id === null ? '' : String(p.order_id),
    amount: amountOf(p.amount),
    currency: typeof p.currency === 'string' ? p.currency : '',
  };
}

/** All properties of an event, the typed record of its type and the free-form ones, as one JSON object. */
export function propertiesOf(e: ResolvedEvent): Record<string, unknown> {
  const typed = (e as unknown as Record<string, unknown>)[e.type];
  return typed && typeof typed === 'object' ? { ...(typed as Record<string, unknown>), ...e.properties } : { ...e.properties };
}

export function createWarehouseWriter(ch: ClickHouseHandle) {
  const db = ch.database;
  return {
    async writeEvents(events: ResolvedEvent[]): Promise<void> {
      if (events.length === 0) return;
      await ch.client.insert({
        table: `${db}.events`,
        format: 'JSONEachRow',
        values: events.map((e) => ({
          tenant_id: e.tenant_id,
          event_id: e.event_id,
          customer360_id: e.customer360_id,
          source: e.source,
          type: e.type,
          occurred_at: clickhouseTime(e.occurred_at),
          received_at: clickhouseTime(e.received_at),
          confidence: e.confidence,
          matched_rule: e.matched_rule,
          ...commerceOf(e),
          properties: JSON.stringify(propertiesOf(e)),
        })),
      });
    },

    async writeProfileChanges(changes: ProfileChange[]): Promise<void> {
      const profiles: Record<string, unknown>[] = [];
      const idMap: Record<string, unknown>[] = [];
      // Only the kinds that carry a state: erased and loyalty_tier_changed name a profile without it.
      for (const c of changes) {
        if (!STATE_KINDS.has(c.kind)) continue;
        profiles.push({
          tenant_id: c.tenant_id,
          customer360_id: c.customer360_id,
          version: c.version,
          created_at: clickhouseTime(c.created_at),
          changed_at: clickhouseTime(c.changed_at),
          auth_user_id: c.auth_user_id,
          primary_email: c.emails[0] ?? null,
          emails: c.emails,
          primary_phone: c.phones[0] ?? null,
          phones: c.phones,
          source_ids: c.source_ids,
          first_name: c.traits.first_name ?? null,
          last_name: c.traits.last_name ?? null,
          city: c.traits.city ?? null,
          country: c.traits.country ?? null,
          traits: c.traits,
          merged_into: null,
          deleted: c.deleted ?? false,
          tags: c.tags ?? [],
          crm_status: c.crm_status ?? null,
          crm_lifecycle_stage: c.crm_lifecycle_stage ?? null,
          crm_lifecycle_changed_at: c.crm_lifecycle_changed_at == null ? null : clickhouseTime(c.crm_lifecycle_changed_at),
        });
        idMap.push({ tenant_id: c.tenant_id, profile_id: c.customer360_id, current_id: c.customer360_id, changed_at: clickhouseTime(c.changed_at) });
        // A split names the other profile in merged_ids: both are current again, nothing maps away.
        for (const merged of c.kind === 'merged' ? c.merged_ids : []) {
          idMap.push({ tenant_id: c.tenant_id, profile_id: merged, current_id: c.customer360_id, changed_at: clickhouseTime(c.changed_at) });
          profiles.push({
            tenant_id: c.tenant_id,
            customer360_id: merged,
            version: c.version,
            created_at: clickhouseTime(c.created_at),
            changed_at: clickhouseTime(c.changed_at),
            auth_user_id: null,
            primary_email: null,
            emails: [],
            primary_phone: null,
            phones: [],
            source_ids: {},
            first_name: null,
            last_name: null,
            city: null,
            country: null,
            traits: {},
            merged_into: c.customer360_id,
          });
        }
      }
      if (profiles.length === 0) return;
      await Promise.all([
        ch.client.insert({ table: `${db}.profile_id_map`, format: 'JSONEachRow', values: idMap }),
        ch.client.insert({ table: `${db}.profiles`, format: 'JSONEachRow', values: profiles }),
      ]);
    },
  };
}

export type WarehouseWriter = ReturnType<typeof createWarehouseWriter>;
