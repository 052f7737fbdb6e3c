/**
 * A read-only SQL endpoint for analysts in the embedded mode (chDB), limited to the caller's
 * tenant: `POST /v1/sql {"query": "SELECT ..."}`.
 *
 * Every table of the warehouse database gets a row filter `tenant_id = <the key's tenant>`
 * (ClickHouse's additional_table_filters, applied wherever a table is read: joins, subqueries,
 * views), set with readonly = 1 on an outer SELECT around the analyst's query, so the query can
 * neither write nor change those settings. The query runs with the warehouse as its default database. References to other
 * databases (system, information_schema, default) and table functions (merge(), file(), url(),
 * remote() ...) are refused before it runs, since filters name tables, not functions. Results
 * stop at 10,000 rows and 30 seconds.
 *
 * With a ClickHouse server, analysts connect to it directly as per-tenant users with row
 * policies (README, "Analysts on a ClickHouse server"); this endpoint answers 404 there.
 */
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';

export const MAX_SQL_ROWS = 10_000;
export const MAX_SQL_SECONDS = 30;
const MAX_QUERY_LENGTH = 20_000;

/** The query without its string literals, quoted identifiers and comments, lower-cased: what the checks read. */
function skeleton(query: string): string {
  return query
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^'\\]|\\.|'')*'/g, "''")
    .toLowerCase();
}

/** Why the query is refused, or null. */
export function refusalOf(query: string, database: string): string | null {
  if (query.length > MAX_QUERY_LENGTH) return `the query is longer than ${MAX_QUERY_LENGTH} characters`;
  const s = skeleton(query);
  if (s.includes('/*')) return 'an unterminated comment';
  if (/[`"]/.test(s)) return 'quoted identifiers are not accepted; name tables and columns plainly';
  if (/\bformat\b/.test(s)) return 'FORMAT is not accepted: rows come back as JSON';
  if (s.includes(';')) return 'one statement only';
  if (!/^\s*(select|with)\b/.test(s)) return 'only SELECT (or WITH ... SELECT) queries';
  const other = s.match(/\b(system|information_schema|default|_temporary_and_external_tables)\s*\./);
  if (other) return `the ${other[1]} database is not available; query the warehouse tables (customer360, events, ...)`;
  const fn = s.match(/\b(?:from|join)\s+([a-z_][a-z0-9_]*)\s*\(/);
  if (fn) return `table functions such as ${fn[1]}() are not available`;
  if (/\bsettings\b/.test(s)) return 'SETTINGS are not accepted';
  if (/\binto\s+outfile\b/.test(s)) return 'INTO OUTFILE is not accepted';
  void database;
  return null;
}

/** A string as ClickHouse char(...) of its UTF-8 bytes: a literal without quotes to escape. */
const charsOf = (text: string) => `char(${[...Buffer.from(text, 'utf8')].join(',')})`;

export function registerSqlEndpoint(app: FastifyInstance, deps: { clickhouse: ClickHouseHandle }): void {
  const { clickhouse } = deps;
  const db = clickhouse.database;
  // The warehouse's tables, read once: migrations have run before the server answers.
  let tables: Promise<{ name: string }[]> | null = null;
  const tablesOf = () =>
    (tables ??= clickhouse.client
      .query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT LIKE '%View%'`, query_params: { db }, format: 'JSONEachRow' })
      .then((r) => r.json<{ name: string }>())
      .catch((error: unknown) => {
        tables = null;
        throw error;
      }));
  app.post<{ Body: { query?: unknown } | null }>('/v1/sql', async (request, reply) => {
    if (!clickhouse.embedded) {
      return reply.code(404).send({ error: 'not_found', message: 'the SQL endpoint serves the embedded mode; on a ClickHouse server, connect as your tenant\'s analyst user' });
    }
    const query = request.body?.query;
    if (typeof query !== 'string' || query.trim() === '') return reply.code(400).send({ error: 'bad_request', message: 'send {"query": "SELECT ..."}' });
    const refusal = refusalOf(query, db);
    if (refusal) return reply.code(400).send({ error: 'bad_request', message: refusal });
    const tables = await tablesOf();
    const filter = `tenant_id = ${charsOf(request.tenantId)}`;
    const filters = tables.map((t) => `'${db}.${t.name}': '${filter}'`).join(', ');
    // Settings of this query only (a SET would stay with chDB's session, which the pipeline shares),
    // on an outer SELECT so they hold for every part of the analyst's query. USE only names the
    // default database; the pipeline's own queries name theirs.
    const settings = [
      `additional_table_filters = {${filters}}`,
      `max_result_rows = ${MAX_SQL_ROWS}`,
      "result_overflow_mode = 'break'",
      `max_execution_time = ${MAX_SQL_SECONDS}`,
      'readonly = 1',
    ].join(', ');
    const text = `USE ${db}; SELECT * FROM (\n${query.trim().replace(/;\s*$/, '')}\n) SETTINGS ${settings}`;
    try {
      const result = await clickhouse.client.query({ query: text, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
      const rows = await result.json<Record<string, unknown>>();
      return { rows, truncated: rows.length >= MAX_SQL_ROWS };
    } catch (error) {
      // ClickHouse's own message (a syntax error, an unknown column) is what the analyst needs.
      return reply.code(400).send({ error: 'bad_request', message: (error as Error).message.split('\n')[0]!.slice(0, 500) });
    }
  });
}
