/**
 * What an analyst's query may touch, decided by ClickHouse itself, never by reading the text:
 *
 * 1. `formatQuerySingleLine` parses the query: it must be exactly one statement, and what runs is
 *    ClickHouse's own rendering of it, so no comment, string or parenthesis can hide anything.
 * 2. `EXPLAIN AST` of that (the parser only, nothing runs): one SELECT (UNION and WITH allowed),
 *    no SETTINGS, FORMAT or INTO OUTFILE, no table function but generators, only functions of
 *    the allowlist, only warehouse objects of the allowlist and no other database.
 * 3. `EXPLAIN QUERY TREE` of the exact statement that will run, with the tenant filters on (the
 *    analyzer resolves every name: a view, a CTE, `x IN table`): every table it reads is on the
 *    allowlist, every function it calls too.
 *
 * The allowlists come from the engine's own catalog: the warehouse's tables and views that have a
 * tenant_id column (each one filtered to the key's tenant; materialized views are not, their
 * target tables are), and the functions of system.functions whose category computes on the
 * query's own rows (dictionaries, files, settings, introspection and the like are out).
 */
import type { ClickHouseHandle } from '../platform/clickhouse.ts';

export class SqlRefusal extends Error {}

/** Categories of system.functions whose every function computes on its arguments alone. */
const PURE_CATEGORIES = new Set([
  'Aggregate Functions', 'Arithmetic', 'Arrays', 'Bit', 'Bitmap', 'Comparison', 'Conditional', 'Dates and Times',
  'Distance', 'Encoding', 'Encryption', 'Financial', 'Geo', 'Geo Polygon', 'Hash', 'IP Address', 'JSON', 'Logical',
  'Map', 'Mathematical', 'Null', 'NumericIndexedVector', 'QBit', 'Random Number', 'Rounding', 'String',
  'String Replacement', 'String Search', 'String Splitting', 'Time Series', 'Time Window', 'Tuple', 'Type Conversion',
  'URL', 'UUID',
]);

/** Functions of the categories "Other" and "Internal" that compute on their arguments alone. */
const PURE_OTHERS = new Set([
  'bar', 'byteSize', 'countDigits', 'defaultValueOfArgumentType', 'defaultValueOfTypeName', 'finalizeAggregation',
  'formatReadableDecimalSize', 'formatReadableQuantity', 'formatReadableSize', 'formatReadableTimeDelta',
  'getSizeOfEnumType', 'getSubcolumn', 'identity', 'ignore', 'indexHint', 'initializeAggregation', 'isConstant',
  'isDecimalOverflow', 'materialize', 'neighbor', 'parseReadableSize', 'parseReadableSizeOrNull',
  'parseReadableSizeOrZero', 'parseTimeDelta', 'rowNumberInAllBlocks', 'rowNumberInBlock', 'runningAccumulate',
  'runningDifference', 'runningDifferenceStartingWithFirstValue', 'throwIf', 'toColumnTypeName', 'toTypeName',
  'transform', 'variantElement', 'variantType', 'visibleWidth', 'MACNumToString', 'MACStringToNum', 'MACStringToOUI',
  'minSampleSizeContinuous', 'minSampleSizeConversion', 'lowCardinalityIndices', 'lowCardinalityKeys', 'version',
  '_CAST', '__getScalar', '__scalarSubqueryResult', 'caseWithExpression', 'nested', 'validateNestedArraySizes',
]);

/** Syntax the parser writes as functions without system.functions listing them. */
const SYNTAX_FUNCTIONS = new Set(['lambda', 'exists', 'grouping']);

/** Table functions that generate rows and read nothing. */
const GENERATORS = new Set(['numbers', 'generateSeries', 'generate_series', 'zeros']);

const OUTPUT_OPTIONS = 'FORMAT and INTO OUTFILE are not accepted: rows come back as JSON';

/** SELECT without FROM reads this one-row table. */
const ONE_ROW_TABLE = 'system.one';

export interface SqlCatalog {
  database: string;
  /** The warehouse's tables and views an analyst may read, every one with a tenant_id column. */
  objects: string[];
  /** The warehouse's other objects (materialized views, internal tables): named only to refuse them. */
  hidden: Set<string>;
  /** Databases other than the warehouse. */
  otherDatabases: Set<string>;
  /** Whether a function name (as the parser or the analyzer writes it) is allowed. */
  allowsFunction(name: string): boolean;
}

const rowsOf = async <T>(ch: ClickHouseHandle, query: string, params: Record<string, unknown> = {}) => {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
};

export async function loadSqlCatalog(ch: ClickHouseHandle): Promise<SqlCatalog> {
  const db = ch.database;
  const objects = await rowsOf<{ name: string; engine: string; tenant: number }>(
    ch,
    `SELECT t.name AS name, t.engine AS engine, countIf(c.name = 'tenant_id') AS tenant
       FROM system.tables AS t LEFT JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
      WHERE t.database = {db:String} GROUP BY t.name, t.engine`,
    { db },
  );
  const visible = objects.filter((o) => Number(o.tenant) > 0 && o.engine !== 'MaterializedView' && !o.name.startsWith('.'));
  const databases = await rowsOf<{ name: string }>(ch, 'SELECT name FROM system.databases');
  const functions = await rowsOf<{ name: string; alias_to: string; case_insensitive: number; categories: string; is_aggregate: number }>(
    ch,
    'SELECT name, alias_to, case_insensitive, categories, is_aggregate FROM system.functions',
  );
  const combinators = (await rowsOf<{ name: string }>(ch, 'SELECT name FROM system.aggregate_function_combinators')).map((c) => c.name);
  combinators.sort((a, b) => b.length - a.length);

  const byName = new Map(functions.map((f) => [f.name, f]));
  const byLowerName = new Map(functions.filter((f) => Number(f.case_insensitive) === 1).map((f) => [f.name.toLowerCase(), f]));
  const lookup = (name: string) => byName.get(name) ?? byLowerName.get(name.toLowerCase());
  const pure = (name: string, depth = 0): boolean => {
    if (depth > 4) return false;
    if (SYNTAX_FUNCTIONS.has(name)) return true;
    const f = lookup(name);
    if (f) {
      if (f.alias_to) return pure(f.alias_to, depth + 1);
      return PURE_CATEGORIES.has(f.categories) || PURE_OTHERS.has(f.name);
    }
    // An aggregate with combinators: sumIf, uniqMergeState, countArrayIf ...
    const combinator = combinators.find((c) => name.length > c.length && name.endsWith(c));
    if (!combinator) return false;
    const base = name.slice(0, -combinator.length);
    const baseFunction = lookup(base);
    return (baseFunction ? Number(baseFunction.is_aggregate) === 1 || Boolean(baseFunction.alias_to) : true) && pure(base, depth + 1);
  };
  const cache = new Map<string, boolean>();
  return {
    database: db,
    objects: visible.map((o) => o.name).sort(),
    hidden: new Set(objects.filter((o) => !visible.includes(o)).map((o) => o.name)),
    otherDatabases: new Set(databases.map((d) => d.name).filter((name) => name !== db)),
    allowsFunction(name) {
      let answer = cache.get(name);
      if (answer === undefined) cache.set(name, (answer = pure(name)));
      return answer;
    },
  };
}

interface AstNode {
  type: string;
  name: string;
  depth: number;
  parent: AstNode | null;
}

/** The lines of EXPLAIN AST as nodes: the type, its name (for functions and identifiers), the parent. */
function astNodes(lines: string[]): AstNode[] {
  const nodes: AstNode[] = [];
  const stack: AstNode[] = [];
  for (const line of lines) {
    const depth = line.length - line.trimStart().length;
    const [type = '', name = ''] = line.trim().split(' ');
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const node = { type, name, depth, parent: stack[stack.length - 1] ?? null };
    nodes.push(node);
    stack.push(node);
  }
  return nodes;
}

/** The lines of an EXPLAIN, read as a subquery so the client's FORMAT applies to the outer SELECT. */
const explainLines = async (ch: ClickHouseHandle, explain: string, database?: string) =>
  (await rowsOf<{ explain: string }>(ch, `${database ? `USE ${database}; ` : ''}SELECT explain FROM (${explain})`)).map((r) => r.explain);

function listOf(catalog: SqlCatalog): string {
  return catalog.objects.join(', ');
}

function checkTable(catalog: SqlCatalog, qualified: string): void {
  const dot = qualified.indexOf('.');
  const [database, table] = dot < 0 ? [null, qualified] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
  if (database !== null && database !== catalog.database) {
    if (`${database}.${table}` === ONE_ROW_TABLE) return;
    throw new SqlRefusal(`${qualified}: the ${database} database is not available; query the warehouse (${listOf(catalog)})`);
  }
  if (catalog.hidden.has(table)) {
    throw new SqlRefusal(`${table} is not available (${table.endsWith('_mv') ? 'a materialized view; read the table it writes' : 'internal'}); query ${listOf(catalog)}`);
  }
}

/** Step 2: the parser's tree of the analyst's statement. */
function checkAst(catalog: SqlCatalog, lines: string[]): void {
  const nodes = astNodes(lines);
  const top = nodes[0];
  if (!top || top.type === 'Explain' || top.type !== 'SelectWithUnionQuery') {
    throw new SqlRefusal(`only SELECT (or WITH ... SELECT) queries are accepted${top ? `, not ${top.type}` : ''}`);
  }
  if (!/\(children 1\)$/.test(lines[0]!.trim())) throw new SqlRefusal(OUTPUT_OPTIONS);
  for (const node of nodes) {
    if (node.type === 'Set' || node.type === 'SetQuery') throw new SqlRefusal('SETTINGS are not accepted');
    if (node.type === 'Function') {
      if (node.parent?.type === 'TableExpression') {
        if (!GENERATORS.has(node.name)) throw new SqlRefusal(`the table function ${node.name}() is not available; query the warehouse (${listOf(catalog)})`);
      } else if (!catalog.allowsFunction(node.name)) {
        throw new SqlRefusal(`the function ${node.name}() is not available`);
      }
    }
    if (node.type === 'TableIdentifier') checkTable(catalog, node.name);
    if (node.type === 'Identifier' && node.name.includes('.')) {
      const database = node.name.slice(0, node.name.indexOf('.'));
      if (catalog.otherDatabases.has(database) || database === catalog.database) checkTable(catalog, node.name);
    }
  }
}

/** Step 3: the analyzer's tree of the statement that runs. */
function checkQueryTree(catalog: SqlCatalog, lines: string[]): void {
  const allowed = new Set(catalog.objects.map((o) => `${catalog.database}.${o}`));
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('TABLE_FUNCTION ')) {
      const name = line.slice(line.lastIndexOf(', table_function_name: ') + ', table_function_name: '.length).split(',')[0]!;
      if (!GENERATORS.has(name)) throw new SqlRefusal(`the table function ${name}() is not available`);
    } else if (line.startsWith('TABLE ')) {
      const at = line.lastIndexOf(', table_name: ');
      const name = at < 0 ? '' : line.slice(at + ', table_name: '.length);
      if (name !== ONE_ROW_TABLE && !allowed.has(name)) {
        checkTable(catalog, name);
        throw new SqlRefusal(`${name} is not available; query ${listOf(catalog)}`);
      }
    } else if (line.startsWith('FUNCTION ')) {
      const at = line.lastIndexOf(', function_name: ');
      const name = at < 0 ? '' : line.slice(at + ', function_name: '.length).split(',')[0]!;
      if (!catalog.allowsFunction(name)) throw new SqlRefusal(`the function ${name}() is not available`);
    }
  }
}

/** ClickHouse's rendering of the query as one statement; a syntax error or a second statement throws. */
async function singleStatement(ch: ClickHouseHandle, query: string): Promise<string> {
  const [row] = await rowsOf<{ q: string }>(ch, 'SELECT formatQuerySingleLine({query:String}) AS q', { query });
  return row!.q;
}

/**
 * The statement to run for the analyst's query, with the settings given: ClickHouse's own
 * rendering of the query, inside an outer SELECT that carries the settings. Throws SqlRefusal
 * with what was refused, or ClickHouse's error for a query that does not parse or resolve.
 */
export async function guardedStatement(ch: ClickHouseHandle, catalog: SqlCatalog, query: string, settings: string): Promise<string> {
  const formatted = await singleStatement(ch, query);
  const ast = await explainLines(ch, `EXPLAIN AST ${formatted}`).catch((error: Error) => {
    // The engine refuses output options of an EXPLAIN read as a subquery.
    if (/output options/.test(error.message)) throw new SqlRefusal(OUTPUT_OPTIONS);
    throw error;
  });
  checkAst(catalog, ast);
  const statement = `SELECT * FROM (${formatted}) SETTINGS ${settings}`;
  // The whole statement is one statement too: nothing of the query escapes the outer SELECT.
  await singleStatement(ch, statement);
  checkQueryTree(catalog, await explainLines(ch, `EXPLAIN QUERY TREE ${statement}`, catalog.database));
  return statement;
}
