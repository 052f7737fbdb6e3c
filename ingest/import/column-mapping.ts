/**
 * Setting up the mapping of the export's columns (or NDJSON keys) to fields, and the reader of
 * its rows that applies it. Messages name columns, never cells.
 */
import { ColumnMapError, columnKey, describeMapping, detectColumns, hasIdentifierColumn, parseColumnMap, type ColumnMapping } from '../columns.ts';
import { csvRows } from './read-csv.ts';
import { ndjsonRows } from './read-ndjson.ts';
import { ImportError, type ColumnOverrides, type ImportRun, type SourceRow } from './types.ts';

/** A --map mistake as an ImportError. */
function mapErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ColumnMapError) throw new ImportError(`--map: ${error.message}`);
    throw error;
  }
}

export const parseOverrides = (map: string | readonly string[] | undefined): ColumnOverrides => mapErrors(() => parseColumnMap(map));

/** The overrides as "column=target", sorted, for the settings of the state file. */
export const describeMap = (map: ColumnOverrides) =>
  [...map.values()].map(({ column, target }) => `${column}=${'field' in target ? target.field : `traits.${target.trait}`}`).sort();

const quoted = (header: readonly string[]) => header.map((h) => `"${h}"`).join(', ');

/** The mapping of a CSV header; refuses overrides of columns it lacks and a header with no identifier. */
function csvHeaderMapping(run: ImportRun): (header: string[]) => ColumnMapping {
  const { overrides } = run.plan;
  return (header) => {
    const mapping = mapErrors(() => detectColumns(header, overrides));
    const known = new Set(header.map(columnKey));
    const missing = [...overrides].filter(([key]) => !known.has(key)).map(([, o]) => o);
    if (missing.length) {
      throw new ImportError(`--map names columns the header does not have: ${missing.map((m) => `"${m.column}"`).join(', ')}; the columns are ${quoted(header)}`);
    }
    if (!hasIdentifierColumn(mapping)) {
      throw new ImportError(`no column holds an identifier (record ID, auth user ID, email or phone); the columns are ${quoted(header)}. Map one with --map "COLUMN=email"`);
    }
    run.state.header = header;
    run.mappingText = describeMapping(mapping);
    run.notice(`columns: ${run.mappingText}`);
    return mapping;
  };
}

/** The mapping of NDJSON records, by their keys; records of one export mostly share their keys. */
function ndjsonMapping(overrides: ColumnOverrides, onFirst: (mapping: ColumnMapping) => void): (keys: string[]) => ColumnMapping {
  const cache = new Map<string, ColumnMapping>();
  let first = true;
  return (keys) => {
    const signature = JSON.stringify(keys);
    let mapping = cache.get(signature);
    if (!mapping) {
      mapping = mapErrors(() => detectColumns(keys, overrides));
      if (cache.size > 1000) cache.clear();
      cache.set(signature, mapping);
      if (first) onFirst(mapping);
      first = false;
    }
    return mapping;
  };
}

/** The rows of the input from where the state says the import got to, with their mapping. */
export function openRows(run: ImportRun, delimiter: string | null): AsyncGenerator<SourceRow> {
  const { plan, state } = run;
  const onBytes = (n: number) => {
    run.bytesRead += n;
  };
  if (plan.format === 'csv') {
    return csvRows(plan.input, { start: state.byte_offset, rowsBefore: state.rows_done, delimiter: delimiter!, header: state.header, onBytes, onHeader: csvHeaderMapping(run) });
  }
  return ndjsonRows(plan.input, {
    start: state.byte_offset,
    rowsBefore: state.rows_done,
    onBytes,
    mappingOf: ndjsonMapping(plan.overrides, (mapping) => {
      run.mappingText = describeMapping(mapping);
      run.notice(`keys of the first record: ${run.mappingText}`);
    }),
  });
}
