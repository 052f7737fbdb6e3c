/**
 * Bulk import of a CRM export (`c360 import`): a CSV or NDJSON file of contacts, read as a
 * stream, each row turned into one `crm` event envelope and posted to POST /v1/events in
 * batches. Rows the importer cannot use and rows the server rejects go to a rejects file with
 * the reasons; a state file next to the input records how far the import got, so an
 * interrupted import continues where it stopped. Event IDs are derived from the row, so a
 * re-sent row counts once.
 *
 * runImport writes nothing to stdout or stderr; runImportCommand, the `c360 import` command,
 * shows progress from its hooks. Messages and notices carry column names, counts and field
 * paths, never the contents of a row: those go to the rejects file only.
 */
export { resolveApiKey } from './api-key.ts';
export { runImportCommand } from './command.ts';
export { envelopeOf, parseTimestamp } from './envelope.ts';
export { sniffDelimiter } from './read-csv.ts';
export { runImport } from './run-import.ts';
export { ImportError, type ImportProgress } from './types.ts';
