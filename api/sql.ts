/**
 * A read-only SQL endpoint for analysts in the embedded mode (chDB), limited to the caller's
 * tenant: `POST /v1/sql {"query": "SELECT ..."}`.
 *
 * What the query may touch is decided by ClickHouse's own parser and analyzer (sql-guard.ts):
 * one SELECT over the warehouse's tables and views, pure functions, no table function but
 * generators, no other database, no SETTINGS or FORMAT. Every table and view it may read gets a
 * row filter `tenant_id = <the key's tenant>` (ClickHouse's additional_table_filters, applied
 * wherever a table is read: joins, subqueries, views), set with readonly = 1 on an outer SELECT
 * around ClickHouse's rendering of the query, so the query can neither write nor change them.
 * Results stop at 10,000 rows and 30 seconds. A refusal says what was refused.
 *
 * With a ClickHouse server, analysts connect to it directly as per-tenant users with row
 * policies (README, "Analysts on a ClickHouse server"); this endpoint answers 404 there.
 */
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import { SqlRefusal, guardedStatement, loadSqlCatalog, type SqlCatalog } from '../warehouse/index.ts';

export const MAX_SQL_ROWS = 10_000;
export const MAX_SQL_SECONDS = 30;
const MAX_QUERY_LENGTH = 20_000;

/** A string as ClickHouse char(...) of its UTF-8 bytes: a literal without quotes to escape. */
const charsOf = (text: string) => `char(${[...Buffer.from(text, 'utf8')].join(',')})`;

/** ClickHouse's message without the client's prefix, first line only. */
const messageOf = (error: unknown) =>
  String((error as Error).message ?? error)
    .split('\n')[0]!
    .replace(/^Query failed: /, '')
    .slice(0, 500);

export function registerSqlEndpoint(app: FastifyInstance, deps: { clickhouse: ClickHouseHandle }): void {
  const { clickhouse } = deps;
  // The engine's catalog, read once: migrations have run before the server answers.
  let catalog: Promise<SqlCatalog> | null = null;
  const catalogOf = () =>
    (catalog ??= loadSqlCatalog(clickhouse).catch((error: unknown) => {
      catalog = null;
      throw error;
    }));

  app.post<{ Body: { query?: unknown } | null }>('/v1/sql', async (request, reply) => {
    if (!clickhouse.embedded) {
      return reply.code(404).send({ error: 'not_found', message: 'the SQL endpoint serves the embedded mode; on a ClickHouse server, connect as your tenant\'s analyst user' });
    }
    const query = request.body?.query;
    if (typeof query !== 'string' || query.trim() === '') return reply.code(400).send({ error: 'bad_request', message: 'send {"query": "SELECT ..."}' });
    if (query.length > MAX_QUERY_LENGTH) return reply.code(400).send({ error: 'bad_request', message: `the query is longer than ${MAX_QUERY_LENGTH} characters` });
    const known = await catalogOf();
    const filter = `tenant_id = ${charsOf(request.tenantId)}`;
    const filters = known.objects.map((name) => `'${known.database}.${name}': '${filter}'`).join(', ');
    // Settings of this statement only (a SET would stay with chDB's session, which the pipeline
    // shares), on the outer SELECT so they hold for every part of the analyst's query.
    const settings = [
      `additional_table_filters = {${filters}}`,
      `max_result_rows = ${MAX_SQL_ROWS}`,
      "result_overflow_mode = 'break'",
      `max_execution_time = ${MAX_SQL_SECONDS}`,
      'readonly = 1',
    ].join(', ');
    let statement: string;
    try {
      statement = await guardedStatement(clickhouse, known, query, settings);
    } catch (error) {
      if (error instanceof SqlRefusal) return reply.code(400).send({ error: 'refused', message: error.message });
      // ClickHouse's own message (a syntax error, an unknown column) is what the analyst needs.
      return reply.code(400).send({ error: 'bad_request', message: messageOf(error) });
    }
    try {
      // USE only names the default database; the pipeline's own queries name theirs.
      const result = await clickhouse.client.query({ query: `USE ${known.database}; ${statement}`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
      const rows = await result.json<Record<string, unknown>>();
      return { rows, truncated: rows.length >= MAX_SQL_ROWS };
    } catch (error) {
      return reply.code(400).send({ error: 'bad_request', message: messageOf(error) });
    }
  });
}
