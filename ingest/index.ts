/**
 * ingest/: HTTP ingest, validation, connectors, import and the demo data. What other folders may
 * use of it.
 */
export { columnKey } from './columns.ts';
export { RejectedRecord, acceptEnvelopes, type IngestDeps } from './routes.ts';
export { SEGMENT_TYPES, envelopeOfSegment, isSegmentObject, segmentText } from './segment.ts';
export { EMPTY_TWIML, acceptInSlices, envelopeOfSendGridEvent, envelopeOfTwilio, messagingReasonOf } from './messaging.ts';
