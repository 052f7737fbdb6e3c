/**
 * Segments through the API: definitions created, replaced, listed and deleted, and members
 * exported as a stream (CSV or NDJSON, rows written as ClickHouse produces them, never held
 * whole) or as paged JSON. An export for a marketing channel leaves out everyone whose current
 * consent for that channel is not granted. The tenant is the key's: another tenant's segment
 * is a 404.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import { parseSegmentDefinition, SEGMENT_ID, type SegmentStore } from './segments.ts';

export interface SegmentRouteDeps {
  segments: SegmentStore;
  clickhouse: ClickHouseHandle;
}

const CHANNELS = ['email', 'sms', 'push', 'whatsapp'] as const;
const EXPORT_COLUMNS = 'toString(c.customer360_id) AS customer360_id, c.primary_email AS primary_email, c.primary_phone AS primary_phone, c.first_name AS first_name, c.last_name AS last_name, c.lifecycle_stage AS lifecycle_stage';
export const MAX_MEMBERS_PAGE = 10_000;

export function registerCustomerSegmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): void {
  const db = deps.clickhouse.database;

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
  app.put<{ Params: { id: string }; Body: unknown }>('/v1/segments/:id', async (request, reply) => save(request.tenantId, request.body, request.params.id, reply));

  app.delete<{ Params: { id: string } }>('/v1/segments/:id', async (request, reply) => {
    const change = await deps.segments.remove(request.tenantId, request.params.id);
    return change ? { segment_id: request.params.id, deleted: true, change } : reply.code(404).send({ error: 'not_found', message: 'no such segment' });
  });

  // Members: ?format=csv|ndjson (streamed) or json (paged: &limit=&after=<last customer360_id>), &channel=email|sms|push|whatsapp.
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
    if (request.query.after !== undefined && !uuid.test(request.query.after)) return reply.code(400).send({ error: 'bad_request', message: 'after must be the last customer360_id of the previous page' });
    const query = `
      SELECT ${EXPORT_COLUMNS} FROM ${db}.customer360 AS c
      WHERE c.tenant_id = {t:String}
        AND c.customer360_id IN (SELECT customer360_id FROM ${db}.segment_membership FINAL WHERE tenant_id = {t:String} AND segment_id = {s:String} AND is_member)
        ${channel ? "AND c.consent[{channel:String}] = 'granted'" : ''}
        ${format === 'json' && request.query.after ? 'AND c.customer360_id > {after:UUID}' : ''}
      ORDER BY c.customer360_id
      ${format === 'json' ? 'LIMIT {limit:UInt32}' : ''}`;
    const params = { t: request.tenantId, s: request.params.id, channel: channel ?? '', after: request.query.after ?? '', limit };
    if (format === 'json') {
      const result = await deps.clickhouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
      const members = await result.json<{ customer360_id: string }>();
      return { segment_id: request.params.id, members, next: members.length === limit ? members.at(-1)!.customer360_id : null };
    }
    const result = await deps.clickhouse.client.query({ query, query_params: params, format: format === 'csv' ? 'CSVWithNames' : 'JSONEachRow' });
    const lines = async function* () {
      for await (const rows of result.stream()) {
        let chunk = '';
        for (const row of rows as { text: string }[]) chunk += `${row.text}\n`;
        yield chunk;
      }
    };
    reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    reply.header('content-disposition', `attachment; filename="${request.params.id}.${format}"`);
    return reply.send(Readable.from(lines()));
  });
}
