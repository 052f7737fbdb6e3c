/**
 * The resolver stage: raw events in, each linked to a profile, resolved events and profile
 * changes out.
 */
import type { Codec } from '../schemas/codec.ts';
import { EVENT_CATALOG } from '../schemas/catalog.ts';
import type { Topics } from '../schemas/topics.ts';
import type { ResolvedEvent } from '../schemas/types.ts';
import { andThen } from '../platform/result.ts';
import type { MessageOutcome, Output, Stage } from '../platform/stage-runner.ts';
import type { GraphStore } from './graph-store.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { Logger } from '../platform/logger.ts';
import { createParseRawEventStep } from './parse-raw-event.ts';
import { createResolveIdentityStep, type ResolvedInput } from './resolve-identity.ts';

export interface ResolverStageDeps {
  codec: Codec;
  graph: GraphStore;
  topics: Topics;
  defaultRegion: string;
  metrics?: Metrics;
  logger?: Logger;
}

const resolvedTypedFields = new Set(EVENT_CATALOG.map((e) => e.type));

export function createResolverStage(deps: ResolverStageDeps): Stage {
  const parse = createParseRawEventStep(deps.codec);
  const resolve = createResolveIdentityStep(deps.graph, deps.defaultRegion);

  async function outputsOf({ event, resolution }: ResolvedInput): Promise<Output[]> {
    deps.metrics?.resolverLinks.inc({ rule: resolution.rule });
    if (resolution.blockedReason) {
      deps.metrics?.blockedMerges.inc({ reason: resolution.blockedReason });
      deps.logger?.info({ tenant: event.tenant_id, event_id: event.event_id, profile: resolution.customer360Id, reason: resolution.blockedReason }, 'merge refused');
    }
    const key = `${event.tenant_id}:${resolution.customer360Id}`;
    const resolved: ResolvedEvent = {
      event_id: event.event_id,
      tenant_id: event.tenant_id,
      customer360_id: resolution.customer360Id,
      confidence: resolution.confidence,
      matched_rule: resolution.rule,
      source: event.source,
      type: event.type,
      occurred_at: event.occurred_at,
      received_at: event.received_at,
      properties: event.properties,
    };
    // The typed record of a catalogued event type travels on under the same field name.
    const typed = (event as unknown as Record<string, unknown>)[event.type];
    if (typed !== undefined && typed !== null && resolvedTypedFields.has(event.type)) {
      (resolved as unknown as Record<string, unknown>)[event.type] = typed;
    }
    const outputs: Output[] = [];
    if (resolution.change) {
      outputs.push({ topic: deps.topics.profileChanges, key, value: await deps.codec.encode(deps.topics.profileChanges, resolution.change) });
    }
    outputs.push({ topic: deps.topics.resolved, key, value: await deps.codec.encode(deps.topics.resolved, resolved) });
    return outputs;
  }

  return {
    name: 'resolver',
    groupId: 'c360-resolver',
    topics: Object.values(deps.topics.raw),
    async handleBatch(messages) {
      const outcomes: MessageOutcome[] = [];
      // In order: events of one partition are resolved one after another.
      for (const message of messages) {
        const result = await andThen(await parse(message), resolve);
        outcomes.push(result.type === 'ok' ? { type: 'ok', outputs: await outputsOf(result.value) } : result);
      }
      // Durable before the outputs are published and the positions committed.
      await deps.graph.flush();
      return outcomes;
    },
  };
}
