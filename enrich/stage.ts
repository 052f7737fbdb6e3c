/**
 * The enrichment stage: resolved events and profile changes in; events, profiles and their
 * aggregates written to ClickHouse. Writes are idempotent (ReplacingMergeTree by event ID and
 * by time), so a redelivered batch changes nothing.
 */
import type { Codec } from '../schemas/codec.ts';
import { consumerGroup, type Topics } from '../schemas/topics.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';
import { STATE_KINDS } from '../schemas/profile-changes.ts';
import type { MessageOutcome, Stage } from '../platform/stage-runner.ts';
import type { WarehouseWriter } from '../warehouse/index.ts';
import type { AggregateComputer } from './compute-aggregates.ts';
import type { SegmentStore } from './segments/store.ts';
import { createParsePipelineMessageStep } from './parse-pipeline-message.ts';
import { createProfileRefresh } from './refresh-profiles.ts';

export interface EnrichStageDeps {
  codec: Codec;
  topics: Topics;
  writer: WarehouseWriter;
  aggregates: AggregateComputer;
  /** Segments recalculated for the profiles whose attributes a batch changed. */
  segments?: SegmentStore;
}

export function createEnrichStage(deps: EnrichStageDeps): Stage {
  const parse = createParsePipelineMessageStep(deps.codec, deps.topics);
  const refresh = createProfileRefresh({ aggregates: deps.aggregates, segments: deps.segments });
  return {
    name: 'enrich',
    groupId: consumerGroup(deps.topics, 'enrich'),
    topics: [deps.topics.profileChanges, deps.topics.resolved],
    async handleBatch(messages) {
      const outcomes: MessageOutcome[] = [];
      const events: ResolvedEvent[] = [];
      const changes: ProfileChange[] = [];
      for (const message of messages) {
        const result = await parse(message);
        if (result.type !== 'ok') {
          outcomes.push(result);
          continue;
        }
        if (result.value.kind === 'event') events.push(result.value.event);
        else changes.push(result.value.change);
        outcomes.push({ type: 'ok', outputs: [] });
      }
      // Different tables, each write idempotent: side by side.
      await Promise.all([deps.writer.writeProfileChanges(changes), deps.writer.writeEvents(events)]);
      const touched = new Map<string, Set<string>>();
      const touch = (tenant: string, id: string) => {
        let ids = touched.get(tenant);
        if (!ids) touched.set(tenant, (ids = new Set()));
        ids.add(id);
      };
      for (const e of events) touch(e.tenant_id, e.customer360_id);
      for (const c of changes) if (STATE_KINDS.has(c.kind)) touch(c.tenant_id, c.customer360_id);
      for (const [tenant, ids] of touched) await refresh(tenant, [...ids], { reason: 'attributes changed' });
      return outcomes;
    },
  };
}
