/**
 * ingest/: HTTP ingest, validation, connectors, import and the demo data. What other folders may
 * use of it.
 */
export { columnKey } from './columns.ts';
export { acceptEnvelopes, type IngestDeps } from './routes.ts';
