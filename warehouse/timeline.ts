/**
 * A profile's activity timeline across all sources, newest first, read from events_by_profile
 * for the profile and every profile merged into it, paged by an opaque cursor (the time and
 * event ID of the last entry), so a page is one range read however long the history.
 */
import { clickhouseTime, type ClickHouseHandle } from '../platform/clickhouse.ts';

export interface TimelineEntry {
  event_id: string;
  occurred_at: string;
  source: string;
  type: string;
  /** The profile the event was linked to when resolved (a merged-away ID for older history). */
  linked_profile_id: string;
  matched_rule: string;
  confidence: number;
  amount: number | null;
  currency: string | null;
  properties: Record<string, unknown>;
}

export interface TimelinePage {
  events: TimelineEntry[];
  /** Cursor of the next (older) page; null on the last page. */
  next: string | null;
}

export const MAX_TIMELINE_PAGE = 500;

export function encodeCursor(occurredAtMs: number, eventId: string): string {
  return Buffer.from(JSON.stringify([occurredAtMs, eventId])).toString('base64url');
}

/** The times a cursor may hold: those of ClickHouse's DateTime64, in milliseconds. */
const CURSOR_TIMES = { from: Date.UTC(1900, 0, 1), to: Date.UTC(2299, 11, 31, 23, 59, 59, 999) };
const MAX_CURSOR_EVENT_ID = 256;

/** The position a cursor of encodeCursor names, or null for anything else. */
export function decodeCursor(cursor: string): { at: number; eventId: string } | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [at, eventId] = value as unknown[];
    if (!Number.isInteger(at) || (at as number) < CURSOR_TIMES.from || (at as number) > CURSOR_TIMES.to) return null;
    if (typeof eventId !== 'string' || eventId.length > MAX_CURSOR_EVENT_ID || eventId.includes('\u0000')) return null;
    return { at: at as number, eventId };
  } catch {
    // not a cursor of ours
  }
  return null;
}


export function createTimelineReader(ch: ClickHouseHandle) {
  const db = ch.database;
  /** One page of the events of the given profile IDs (the current one and those merged into it). */
  return async (tenantId: string, profileIds: string[], options: { limit: number; before?: { at: number; eventId: string } }): Promise<TimelinePage> => {
    const result = await ch.client.query({
      query: `
        SELECT event_id, toUnixTimestamp64Milli(t) AS at, source, type, toString(profile) AS linked_profile_id, matched_rule, confidence, amount, currency, properties
        FROM (
          SELECT event_id, any(occurred_at) AS t, any(source) AS source, any(type) AS type, any(customer360_id) AS profile,
                 any(matched_rule) AS matched_rule, any(confidence) AS confidence, any(amount) AS amount, any(currency) AS currency, any(properties) AS properties
          FROM ${db}.events_by_profile
          WHERE tenant_id = {tenant:String} AND customer360_id IN {ids:Array(UUID)}
            AND (occurred_at < {before:DateTime64(3)} OR (occurred_at = {before:DateTime64(3)} AND event_id < {beforeId:String}))
          GROUP BY event_id
        )
        ORDER BY t DESC, event_id DESC
        LIMIT {limit:UInt32}`,
      query_params: {
        tenant: tenantId,
        ids: profileIds,
        before: clickhouseTime(options.before?.at ?? Date.UTC(2999, 0, 1)),
        beforeId: options.before?.eventId ?? '',
        limit: options.limit + 1,
      },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await result.json<{ event_id: string; at: number; source: string; type: string; linked_profile_id: string; matched_rule: string; confidence: number; amount: number; currency: string; properties: string }>();
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      events: page.map((r) => ({
        event_id: r.event_id,
        occurred_at: new Date(Number(r.at)).toISOString(),
        source: r.source,
        type: r.type,
        linked_profile_id: r.linked_profile_id,
        matched_rule: r.matched_rule,
        confidence: r.confidence,
        amount: r.currency || r.amount ? r.amount : null,
        currency: r.currency || null,
        properties: JSON.parse(r.properties) as Record<string, unknown>,
      })),
      next: rows.length > options.limit && last ? encodeCursor(Number(last.at), last.event_id) : null,
    };
  };
}
