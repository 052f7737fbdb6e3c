/**
 * Segments through the API: definitions created, replaced, listed and deleted, and members
 * exported as a stream (CSV or NDJSON, read in pages of 50,000 members and written as they come,
 * never held whole) or as paged JSON. An export for a marketing channel leaves out everyone whose current
 * consent for that channel is not granted. The tenant is the key's: another tenant's segment
 * is a 404.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import { CUSTOMER360_FIELDS, parseSegmentDefinition, parseSegmentRule, SEGMENT_ID, type SegmentStore } from '../enrich/index.ts';

export interface SegmentRouteDeps {
  segments: SegmentStore;
  clickhouse: ClickHouseHandle;
}

const CHANNELS = ['email', 'sms', 'push', 'whatsapp'] as const;
const EXPORT_COLUMNS = 'toString(c.customer360_id) AS customer360_id, c.primary_email AS primary_email, c.primary_phone AS primary_phone, c.first_name AS first_name, c.last_name AS last_name, c.lifecycle_stage AS lifecycle_stage';
export const MAX_MEMBERS_PAGE = 10_000;
/** Members per query of a streamed export. */
export const EXPORT_PAGE = 50_000;
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** A range of a segment's members by ID: after < customer360_id <= upto, `count` of them. */
interface MemberRange {
  after: string;
  upto: string;
  count: number;
  /** The range holds the number asked for: more members may follow. */
  full: boolean;
}

/**
 * A segment's members in ranges of their IDs (keyset pages): `bound` finds where the next `n`
 * members end, from the membership's primary key; `rows` reads the customer360 view for one
 * range, which ClickHouse pushes down to each table the view joins, so a page costs its own size
 * and not the segment's. A page may hold fewer members than it counts: those deleted or merged
 * away since the last recalculation, or without consent for the channel.
 */
export function createMemberPages(ch: ClickHouseHandle, tenantId: string, segmentId: string, channel: string | undefined) {
  const db = ch.database;
  const members = `SELECT customer360_id FROM ${db}.segment_membership FINAL
                   WHERE tenant_id = {t:String} AND segment_id = {s:String} AND is_member AND customer360_id > {after:UUID}`;
  return {
    async bound(after: string, n: number): Promise<MemberRange> {
      const result = await ch.client.query({
        query: `SELECT toString(max(customer360_id)) AS upto, toUInt32(count()) AS count FROM (${members} ORDER BY customer360_id LIMIT {n:UInt32})`,
        query_params: { t: tenantId, s: segmentId, after, n },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ upto: string; count: number }>();
      const count = Number(row?.count ?? 0);
      return { after, upto: count === 0 ? after : row!.upto, count, full: count === n };
    },
    rows(range: MemberRange, format: 'JSONEachRow' | 'CSV' | 'CSVWithNames') {
      return ch.client.query({
        query: `SELECT ${EXPORT_COLUMNS} FROM ${db}.customer360 AS c
                WHERE c.tenant_id = {t:String} AND c.customer360_id > {after:UUID} AND c.customer360_id <= {upto:UUID}
                  AND c.customer360_id IN (${members} AND customer360_id <= {upto:UUID})
                  ${channel ? "AND c.consent[{channel:String}] = 'granted'" : ''}
                ORDER BY c.customer360_id`,
        query_params: { t: tenantId, s: segmentId, after: range.after, upto: range.upto, channel: channel ?? '' },
        format,
      });
    },
  };
}

export type MemberPages = ReturnType<typeof createMemberPages>;

/**
 * Every member as CSV (with one header line) or NDJSON text, `pageSize` members per query: the
 * process holds one page at a time (chDB answers a query whole), and other queries (checkout
 * lookups) run between pages.
 */
export async function* exportLines(pages: MemberPages, format: 'csv' | 'ndjson', pageSize: number): AsyncGenerator<string> {
  let after = NO_ID;
  for (let first = true; ; first = false) {
    const page = await pages.bound(after, pageSize);
    if (page.count === 0 && !first) return;
    const result = await pages.rows(page, format === 'csv' ? (first ? 'CSVWithNames' : 'CSV') : 'JSONEachRow');
    for await (const rows of result.stream()) {
      let chunk = '';
      for (const row of rows as { text: string }[]) chunk += `${row.text}\n`;
      yield chunk;
    }
    if (!page.full) return;
    after = page.upto;
  }
}

export function registerCustomerSegmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): void {

  app.get('/v1/segments', async (request) => ({ segments: await deps.segments.list(request.tenantId) }));

  app.get<{ Params: { id: string } }>('/v1/segments/:id', async (request, reply) => {
    const segment = await deps.segments.get(request.tenantId, request.params.id);
    return segment ?? reply.code(404).send({ error: 'not_found', message: 'no such segment' });
  });

  const save = async (tenantId: string, body: unknown, id: string | undefined, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    const parsed = parseSegmentDefinition(body, id);
    if ('errors' in parsed) return reply.code(400).send({ error: 'bad_request', message: 'invalid segment', errors: parsed.errors });
    const change = await deps.segments.save(tenantId, parsed.definition);
    return { ...(await deps.segments.get(tenantId, parsed.definition.segment_id)), change };
  };
  app.post<{ Body: unknown }>('/v1/segments', async (request, reply) => {
    const id = (request.body as { segment_id?: unknown } | null)?.segment_id;
    if (typeof id === 'string' && (await deps.segments.get(request.tenantId, id))) {
      return reply.code(409).send({ error: 'conflict', message: `segment ${id} exists; PUT /v1/segments/${id} replaces it` });
    }
    return save(request.tenantId, request.body, undefined, reply);
  });
  // The members a rule would select, without saving it (the console's preview).
  app.post<{ Body: { rule?: unknown } | null }>('/v1/segments/preview', async (request, reply) => {
    const parsed = parseSegmentRule(request.body?.rule, CUSTOMER360_FIELDS);
    if ('errors' in parsed) return reply.code(400).send({ error: 'bad_request', message: 'invalid rule', errors: parsed.errors.map((e) => ({ ...e, path: `/rule${e.path}` })) });
    return deps.segments.preview(request.tenantId, parsed.rule);
  });
  app.put<{ Params: { id: string }; Body: unknown }>('/v1/segments/:id', async (request, reply) => save(request.tenantId, request.body, request.params.id, reply));

  app.delete<{ Params: { id: string } }>('/v1/segments/:id', async (request, reply) => {
    const change = await deps.segments.remove(request.tenantId, request.params.id);
    return change ? { segment_id: request.params.id, deleted: true, change } : reply.code(404).send({ error: 'not_found', message: 'no such segment' });
  });

  // Members: ?format=csv|ndjson (streamed) or json (paged: &limit=&after=<next of the previous page>), &channel=email|sms|push|whatsapp.
  app.get<{ Params: { id: string }; Querystring: { format?: string; channel?: string; limit?: string; after?: string } }>('/v1/segments/:id/members', async (request, reply) => {
    const { format = 'json', channel } = request.query;
    if (!['json', 'csv', 'ndjson'].includes(format)) return reply.code(400).send({ error: 'bad_request', message: 'format must be json, csv or ndjson' });
    if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) {
      return reply.code(400).send({ error: 'bad_request', message: `channel must be one of ${CHANNELS.join(', ')}` });
    }
    if (!SEGMENT_ID.test(request.params.id) || !(await deps.segments.get(request.tenantId, request.params.id))) {
      return reply.code(404).send({ error: 'not_found', message: 'no such segment' });
    }
    const limit = request.query.limit === undefined ? 1000 : Number(request.query.limit);
    if (format === 'json' && (!Number.isInteger(limit) || limit < 1 || limit > MAX_MEMBERS_PAGE)) {
      return reply.code(400).send({ error: 'bad_request', message: `limit must be a whole number from 1 to ${MAX_MEMBERS_PAGE}` });
    }
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (request.query.after !== undefined && !uuid.test(request.query.after)) return reply.code(400).send({ error: 'bad_request', message: 'after must be the next cursor of the previous page' });
    const pages = createMemberPages(deps.clickhouse, request.tenantId, request.params.id, channel);
    if (format === 'json') {
      const page = await pages.bound(request.query.after ?? NO_ID, limit);
      const members = await (await pages.rows(page, 'JSONEachRow')).json<{ customer360_id: string }>();
      return { segment_id: request.params.id, members, next: page.full ? page.upto : null };
    }
    reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    reply.header('content-disposition', `attachment; filename="${request.params.id}.${format}"`);
    return reply.send(Readable.from(exportLines(pages, format as 'csv' | 'ndjson', EXPORT_PAGE)));
  });
}
