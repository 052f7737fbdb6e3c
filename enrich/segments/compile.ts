/**
 * Compiles a segment rule (rules.ts) to a ClickHouse WHERE expression over the catalog's columns.
 *
 * Injection-safe by construction: every value of the rule, map keys included, becomes a query
 * parameter ({p0:Float64}, {p1:String}, {p2:Array(String)}, {p3:DateTime64(3, 'UTC')}, …) and
 * the only SQL text that comes from outside this file is the catalog's column expressions. The
 * rule is checked against the catalog again before compiling, so a rule built in code gets the
 * same checks as one that came in as JSON.
 *
 * NULL semantics (two-valued): a condition on a missing value is false, whatever its operator,
 * except is_null (and is_empty for arrays). So `!=` and `not_in` do not match a missing value,
 * and `not` is plain negation: {"not": {"field": "city", "op": "=", "value": "Oslo"}} matches
 * the profiles without a city. For strings, enums and map lookups an empty string counts as
 * missing (the warehouse stores some missing values as '', and a map returns '' for an absent
 * key). Each condition is wrapped in ifNull(…, 0) so NULL never reaches AND, OR or NOT.
 */
import { clickhouseTime } from '../../platform/clickhouse.ts';
import {
  parseSegmentRule,
  parseRuleTime,
  resolveField,
  formatRuleErrors,
  type Condition,
  type FieldCatalog,
  type RuleError,
  type SegmentRule,
} from './rules.ts';

export interface CompileOptions {
  /** The time within_days and not_within_days count back from; default: now. */
  now?: Date;
  /** Prefix of the parameter names (default "p": p0, p1, …), to keep clear of a query's own. */
  paramPrefix?: string;
}

export interface CompiledSegment {
  /** A boolean ClickHouse expression, for `WHERE <where>`. */
  where: string;
  /** Its query parameters: numbers, strings, string arrays, booleans. */
  params: Record<string, unknown>;
}

export class SegmentRuleError extends Error {
  constructor(readonly errors: RuleError[]) {
    super(`invalid segment rule:\n${formatRuleErrors(errors)}`);
    this.name = 'SegmentRuleError';
  }
}


const TIME_TYPE = "DateTime64(3, 'UTC')";

export function compileSegmentRule(rule: SegmentRule, catalog: FieldCatalog, options: CompileOptions = {}): CompiledSegment {
  const checked = parseSegmentRule(rule, catalog);
  if ('errors' in checked) throw new SegmentRuleError(checked.errors);
  const prefix = options.paramPrefix ?? 'p';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new Error(`paramPrefix ${JSON.stringify(prefix)} must be letters, digits and underscores`);
  const now = options.now ?? new Date();
  if (!Number.isFinite(now.getTime())) throw new Error('now is not a valid date');

  const params: Record<string, unknown> = {};
  let nowParam: string | null = null;
  const param = (type: string, value: unknown) => {
    const name = `${prefix}${Object.keys(params).length}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  const nowRef = () => (nowParam ??= param(TIME_TYPE, clickhouseTime(now.getTime())));

  const leaf = (c: Condition): string => {
    const resolved = resolveField(c.field, catalog);
    if ('error' in resolved) throw new SegmentRuleError([{ path: '/', message: resolved.error }]);
    const { spec, key } = resolved.field;
    // A plain column name as it is, any other expression in parentheses.
    const column = /^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.column) ? spec.column : `(${spec.column})`;
    // The value a condition compares, NULL when missing.
    const v =
      spec.type === 'map'
        ? `nullIf(${column}[${param('String', key)}], '')`
        : spec.type === 'string'
          ? `nullIf(${column}, '')`
          : spec.type === 'enum'
            ? `nullIf(toString(${column}), '')`
            : column;
    const orFalse = (expr: string) => `ifNull(${expr}, 0)`;
    const value = c.value;
    switch (c.op) {
      case 'is_null':
        return `isNull(${v})`;
      case 'is_not_null':
        return `isNotNull(${v})`;
      case 'is_empty':
        return `empty(${v})`;
      case 'contains':
        return spec.type === 'string_array'
          ? `has(${v}, ${param('String', value)})`
          : orFalse(`positionCaseInsensitiveUTF8(${v}, ${param('String', value)}) > 0`);
      case 'contains_any':
        return `hasAny(${v}, ${param('Array(String)', value)})`;
      case 'starts_with':
        return orFalse(`startsWith(lowerUTF8(${v}), lowerUTF8(${param('String', value)}))`);
      case 'in':
        return orFalse(`${v} IN ${param('Array(String)', value)}`);
      case 'not_in':
        return orFalse(`${v} NOT IN ${param('Array(String)', value)}`);
      case 'between': {
        const [low, high] = value as [number, number];
        return orFalse(`${v} BETWEEN ${param('Float64', low)} AND ${param('Float64', high)}`);
      }
      case 'before':
      case 'after':
        return orFalse(`${v} ${c.op === 'before' ? '<' : '>'} ${param(TIME_TYPE, clickhouseTime(parseRuleTime(value as string)!))}`);
      case 'within_days':
      case 'not_within_days': {
        const since = `subtractDays(${nowRef()}, ${param('UInt32', value)})`;
        return orFalse(`${v} ${c.op === 'within_days' ? '>=' : '<'} ${since}`);
      }
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const type = spec.type === 'number' ? 'Float64' : spec.type === 'bool' ? 'Bool' : 'String';
        return orFalse(`${v} ${c.op} ${param(type, value)}`);
      }
    }
  };

  const build = (r: SegmentRule): string => {
    if ('all' in r) return `(${r.all.map(build).join(' AND ')})`;
    if ('any' in r) return `(${r.any.map(build).join(' OR ')})`;
    // A group is parenthesised already; a condition is parenthesised so NOT takes all of it.
    if ('not' in r) return 'all' in r.not || 'any' in r.not ? `NOT ${build(r.not)}` : `NOT (${build(r.not)})`;
    return leaf(r);
  };

  return { where: build(checked.rule), params };
}

export { fieldsUsed } from './rules.ts';
