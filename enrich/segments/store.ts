/**
 * Segments: definitions as data (enrich/segments, docs/segments.md), kept in ClickHouse with
 * every version, and their membership computed in ClickHouse from the customer360 view.
 *
 * A recalculation compares the members the rule selects now with the current membership, all
 * inside ClickHouse (INSERT ... SELECT), so a segment of a million members never passes through
 * this process: entries and exits are written to the history with one time of their own, then
 * applied to the current membership from there. Restricted to some profiles (those whose
 * attributes just changed), it reads only theirs.
 */
import { clickhouseTime, type ClickHouseHandle } from '../../platform/clickhouse.ts';
import type { SegmentMembershipChange } from '../../schemas/types.ts';
import { CUSTOMER360_FIELDS, parseSegmentRule, type RuleError, type SegmentRule } from './rules.ts';
import { SegmentRuleError, compileSegmentRule } from './compile.ts';
import type { SegmentServing } from './serving.ts';

export interface SegmentDefinition {
  segment_id: string;
  name: string;
  priority: number;
  rule: SegmentRule;
  changed_at: string;
}

export interface MembershipChange {
  entered: number;
  left: number;
}

export const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A definition from an API body, or the problems with it (paths like the rule's). */
export function parseSegmentDefinition(body: unknown, segmentId?: string): { definition: Omit<SegmentDefinition, 'changed_at'> } | { errors: RuleError[] } {
  const errors: RuleError[] = [];
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const id = segmentId ?? b.segment_id;
  if (typeof id !== 'string' || !SEGMENT_ID.test(id)) errors.push({ path: '/segment_id', message: 'must be 1-64 lower-case letters, digits, "_" or "-", starting with a letter or digit' });
  if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 200) errors.push({ path: '/name', message: 'must be a non-empty string of at most 200 characters' });
  const priority = b.priority ?? 100;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || Math.abs(priority) > 1_000_000) errors.push({ path: '/priority', message: 'must be a whole number (lower wins the primary segment)' });
  const parsed = parseSegmentRule(b.rule, CUSTOMER360_FIELDS);
  if ('errors' in parsed) errors.push(...parsed.errors.map((e) => ({ ...e, path: `/rule${e.path}` })));
  if (errors.length || 'errors' in parsed) return { errors };
  return { definition: { segment_id: id as string, name: (b.name as string).trim(), priority: priority as number, rule: parsed.rule } };
}

/** Pages of membership changes published at once. */
export const PUBLISH_PAGE = 10_000;

/**
 * `publish`: where membership changes go (the segment changes topic, for marketing tools); they
 * are read back from the history page by page, so a million entries never sit in memory.
 * `serving`: the serving copy in Postgres the read API answers segments from (serving.ts).
 */
export function createSegmentStore(ch: ClickHouseHandle, options: { publish?: (changes: SegmentMembershipChange[]) => Promise<void>; serving?: SegmentServing } = {}) {
  const db = ch.database;
  // Built once per process and shared (the enrich stage, the schedule, the routes), so its
  // stamps are in order across all of them.
  let lastStamp = 0;
  /** A time at least a millisecond after the last one this store handed out. */
  const nextStamp = (now: Date): Date => {
    lastStamp = Math.max(now.getTime(), lastStamp + 1);
    return new Date(lastStamp);
  };

  async function publishChanges(tenantId: string, segmentId: string, priority: number, stamp: string): Promise<void> {
    if (!options.publish && !options.serving) return;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await (
        await ch.client.query({
          query: `SELECT toString(customer360_id) AS id, toString(change) AS change, toUnixTimestamp64Milli(changed_at) AS at, reason
                  FROM ${db}.segment_membership_history
                  WHERE tenant_id = {t:String} AND segment_id = {s:String} AND changed_at = {stamp:DateTime64(3)} AND customer360_id > {after:UUID}
                  ORDER BY customer360_id LIMIT {n:UInt32}`,
          query_params: { t: tenantId, s: segmentId, stamp, after, n: PUBLISH_PAGE },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ id: string; change: 'entered' | 'left'; at: number; reason: string }>();
      if (page.length === 0) return;
      const changes = page.map((r) => ({ tenant_id: tenantId, segment_id: segmentId, customer360_id: r.id, change: r.change, changed_at: Number(r.at), reason: r.reason }));
      await options.serving?.apply(tenantId, segmentId, priority, changes);
      await options.publish?.(changes);
      if (page.length < PUBLISH_PAGE) return;
      after = page.at(-1)!.id;
    }
  }

  /**
   * A tenant's segments (one, with `segmentId`), by priority; `withCounts` adds each one's member
   * count, which reads the membership: the API wants it, recalculations do not.
   */
  async function list(tenantId: string, options: { segmentId?: string; withCounts?: boolean } = {}): Promise<(SegmentDefinition & { members?: number })[]> {
    const only = options.segmentId === undefined ? '' : 'AND segment_id = {s:String}';
    const counts = options.withCounts
      ? `LEFT JOIN (SELECT segment_id, count() AS members FROM ${db}.segment_membership FINAL
                    WHERE tenant_id = {t:String} AND is_member ${only} GROUP BY segment_id) AS m ON m.segment_id = s.segment_id`
      : '';
    const result = await ch.client.query({
      query: `SELECT s.segment_id, s.name, s.priority, s.rule, s.changed_at ${options.withCounts ? ', toUInt64(coalesce(m.members, 0)) AS members' : ''}
              FROM (SELECT * FROM ${db}.segments FINAL WHERE tenant_id = {t:String} AND NOT deleted ${only}) AS s
              ${counts}
              ORDER BY s.priority, s.segment_id`,
      query_params: { t: tenantId, s: options.segmentId ?? '' },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await result.json<Omit<SegmentDefinition, 'rule'> & { rule: string; members?: number }>();
    return rows.map((r) => ({ ...r, rule: JSON.parse(r.rule) as SegmentRule }));
  }

  /**
   * Brings the membership of one segment up to date: who the rule selects now against who is a
   * member, entries and exits written to the history and applied. `profileIds` restricts it to
   * those profiles (an attribute change); `leaveAll` empties it (a deleted segment).
   */
  async function recalculate(tenantId: string, segment: Pick<SegmentDefinition, 'segment_id' | 'rule' | 'priority'>, reason: string, options: { profileIds?: string[]; leaveAll?: boolean; now?: Date } = {}): Promise<MembershipChange> {
    const now = options.now ?? new Date();
    // One time per recalculation (unique to the millisecond within this process) names its changes.
    const stamp = clickhouseTime(nextStamp(now));
    const compiled = options.leaveAll ? { where: '0', params: {} } : compileSegmentRule(segment.rule, CUSTOMER360_FIELDS, { now, paramPrefix: 'r' });
    const only = options.profileIds ? 'AND customer360_id IN {ids:Array(UUID)}' : '';
    const params = { ...compiled.params, t: tenantId, s: segment.segment_id, stamp, reason, ids: options.profileIds ?? [] };
    await ch.client.command({
      query: `
        INSERT INTO ${db}.segment_membership_history (tenant_id, segment_id, customer360_id, change, changed_at, reason)
        SELECT {t:String}, {s:String}, id, if(now_member, 'entered', 'left'), {stamp:DateTime64(3)}, {reason:String}
        FROM (
          SELECT if(n.customer360_id != toUUID('00000000-0000-0000-0000-000000000000'), n.customer360_id, o.customer360_id) AS id,
                 n.customer360_id != toUUID('00000000-0000-0000-0000-000000000000') AS now_member,
                 o.customer360_id != toUUID('00000000-0000-0000-0000-000000000000') AS was_member
          FROM (SELECT customer360_id FROM ${db}.customer360 WHERE tenant_id = {t:String} ${only} AND (${compiled.where})) AS n
          FULL OUTER JOIN (SELECT customer360_id FROM ${db}.segment_membership FINAL
                           WHERE tenant_id = {t:String} AND segment_id = {s:String} AND is_member ${only}) AS o
            ON n.customer360_id = o.customer360_id
        )
        WHERE now_member != was_member`,
      query_params: params,
    });
    await ch.client.command({
      query: `
        INSERT INTO ${db}.segment_membership (tenant_id, segment_id, customer360_id, is_member, changed_at)
        SELECT tenant_id, segment_id, customer360_id, change = 'entered', changed_at FROM ${db}.segment_membership_history
        WHERE tenant_id = {t:String} AND segment_id = {s:String} AND changed_at = {stamp:DateTime64(3)}`,
      query_params: params,
    });
    const counts = await ch.client.query({
      query: `SELECT countIf(change = 'entered') AS entered, countIf(change = 'left') AS left FROM ${db}.segment_membership_history
              WHERE tenant_id = {t:String} AND segment_id = {s:String} AND changed_at = {stamp:DateTime64(3)}`,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const [row] = await counts.json<MembershipChange>();
    const change = row ?? { entered: 0, left: 0 };
    if (change.entered + change.left > 0) await publishChanges(tenantId, segment.segment_id, segment.priority, stamp);
    return change;
  }

  return {
    recalculate,

    /**
     * The members a rule selects now, without saving it: how many, and the first `sample` of
     * them (the console's preview).
     */
    async preview(tenantId: string, rule: SegmentRule, sample = 20): Promise<{ members: number; sample: Record<string, unknown>[] }> {
      const compiled = compileSegmentRule(rule, CUSTOMER360_FIELDS, { now: new Date(), paramPrefix: 'r' });
      const params = { ...compiled.params, t: tenantId, n: sample };
      const [count, rows] = await Promise.all([
        ch.client.query({ query: `SELECT count() AS n FROM ${db}.customer360 WHERE tenant_id = {t:String} AND (${compiled.where})`, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } }),
        ch.client.query({
          query: `SELECT toString(customer360_id) AS customer360_id, primary_email, first_name, last_name FROM ${db}.customer360
                  WHERE tenant_id = {t:String} AND (${compiled.where}) ORDER BY customer360_id LIMIT {n:UInt32}`,
          query_params: params,
          format: 'JSONEachRow',
        }),
      ]);
      return { members: (await count.json<{ n: number }>())[0]?.n ?? 0, sample: await rows.json<Record<string, unknown>>() };
    },

    /** A tenant's segments with their member counts, by priority. */
    list: (tenantId: string) => list(tenantId, { withCounts: true }),

    async get(tenantId: string, segmentId: string) {
      return (await list(tenantId, { segmentId, withCounts: true }))[0] ?? null;
    },

    /** Saves a definition (a new version) and brings its membership up to date. */
    async save(tenantId: string, definition: Omit<SegmentDefinition, 'changed_at'>): Promise<MembershipChange> {
      await ch.client.insert({
        table: `${db}.segments`,
        format: 'JSONEachRow',
        values: [{ tenant_id: tenantId, ...definition, rule: JSON.stringify(definition.rule), deleted: false, changed_at: clickhouseTime(nextStamp(new Date())) }],
      });
      // Members who stay keep their rows: they take the priority saved.
      await options.serving?.setPriority(tenantId, definition.segment_id, definition.priority);
      return recalculate(tenantId, definition, 'definition saved');
    },

    /** Deletes a segment: every member leaves it (kept in the history). */
    async remove(tenantId: string, segmentId: string): Promise<MembershipChange | null> {
      const [existing] = await list(tenantId, { segmentId });
      if (!existing) return null;
      const change = await recalculate(tenantId, existing, 'segment deleted', { leaveAll: true });
      await ch.client.insert({
        table: `${db}.segments`,
        format: 'JSONEachRow',
        values: [{ tenant_id: tenantId, segment_id: segmentId, name: existing.name, priority: existing.priority, rule: JSON.stringify(existing.rule), deleted: true, changed_at: clickhouseTime(nextStamp(new Date())) }],
      });
      return change;
    },

    /** Recalculates every segment of a tenant, for some profiles (their attributes changed) or all (the schedule). */
    async recalculateAll(tenantId: string, reason: string, profileIds?: string[]): Promise<Record<string, MembershipChange | { error: string }>> {
      const out: Record<string, MembershipChange | { error: string }> = {};
      for (const segment of await list(tenantId)) {
        try {
          out[segment.segment_id] = await recalculate(tenantId, segment, reason, { profileIds });
        } catch (error) {
          // A stored rule the language no longer accepts (a field renamed) keeps its members
          // and does not stop the other segments; database failures still throw.
          if (!(error instanceof SegmentRuleError)) throw error;
          out[segment.segment_id] = { error: error.message };
        }
      }
      return out;
    },
  };
}


export type SegmentStore = ReturnType<typeof createSegmentStore>;
