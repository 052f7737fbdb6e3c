/**
 * Writes the resolved stream into ClickHouse: events, profile snapshots, the profile ID map.
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';

const ms = (t: number) => new Date(t).toISOString().replace('T', ' ').replace('Z', '');

function amountOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : 0;
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
          occurred_at: ms(e.occurred_at),
          received_at: ms(e.received_at),
          confidence: e.confidence,
          matched_rule: e.matched_rule,
          order_id: e.properties.order_id === undefined || e.properties.order_id === null ? '' : String(e.properties.order_id),
          amount: amountOf(e.properties.amount),
          currency: typeof e.properties.currency === 'string' ? e.properties.currency : '',
          properties: JSON.stringify(e.properties),
        })),
      });
    },

    async writeProfileChanges(changes: ProfileChange[]): Promise<void> {
      if (changes.length === 0) return;
      const profiles: Record<string, unknown>[] = [];
      const idMap: Record<string, unknown>[] = [];
      for (const c of changes) {
        profiles.push({
          tenant_id: c.tenant_id,
          customer360_id: c.customer360_id,
          version: c.version,
          created_at: ms(c.created_at),
          changed_at: ms(c.changed_at),
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
        });
        idMap.push({ tenant_id: c.tenant_id, profile_id: c.customer360_id, current_id: c.customer360_id, changed_at: ms(c.changed_at) });
        for (const merged of c.merged_ids) {
          idMap.push({ tenant_id: c.tenant_id, profile_id: merged, current_id: c.customer360_id, changed_at: ms(c.changed_at) });
          profiles.push({
            tenant_id: c.tenant_id,
            customer360_id: merged,
            version: c.version,
            created_at: ms(c.created_at),
            changed_at: ms(c.changed_at),
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
      await ch.client.insert({ table: `${db}.profile_id_map`, format: 'JSONEachRow', values: idMap });
      await ch.client.insert({ table: `${db}.profiles`, format: 'JSONEachRow', values: profiles });
    },
  };
}

export type WarehouseWriter = ReturnType<typeof createWarehouseWriter>;
