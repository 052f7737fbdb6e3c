/**
 * enrich/: the enrichment stage (resolved events and profile changes into ClickHouse), the
 * aggregates, scores and segments of profiles. What other folders may use of it.
 */
export { SEGMENT_ID, parseSegmentDefinition, type SegmentStore } from './segments/store.ts';
export { NO_AGGREGATES, eraseSummaries, type Aggregates } from './summaries.ts';
export { CUSTOMER360_FIELDS, parseSegmentRule } from './segments/rules.ts';
