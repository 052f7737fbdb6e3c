/** Fixed figures of the ingest benchmark: event pool size, topic partitions and the targets. */

/** Distinct events sent over and over (HTTP requests get fresh event IDs each time). */
export const POOL_EVENTS = 20_000;
export const PARTITIONS = 4;
export const TARGET_EVENTS_PER_SECOND = 30_000;
export const TARGET_RATIO = 0.5;
