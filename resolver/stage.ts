/**
 * The resolver stage: raw events in, each linked to a profile, resolved events and profile
 * changes out.
 */
import type { Codec } from '../schemas/codec.ts';
import { EVENT_CATALOG } from '../schemas/catalog.ts';
import { consumerGroup, type Topics } from '../schemas/topics.ts';
import type { ResolvedEvent } from '../schemas/types.ts';
import { andThen, dlq, type StepResult } from '../platform/result.ts';
import type { ConsentScopeStore } from './consent-scopes.ts';
import { consentOf } from './graph-writes.ts';
import type { MessageOutcome, Output, Stage } from '../platform/stage-runner.ts';
import type { GraphStore } from './graph-store.ts';
import type { BlocklistSource } from './blocklist.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { Logger } from '../platform/logger.ts';
import { createParseRawEventStep } from './parse-raw-event.ts';
import { createIdentifyStep, type IdentifiedInput, type ResolvedInput } from './resolve-identity.ts';

export interface ResolverStageDeps {
  codec: Codec;
  graph: GraphStore;
  topics: Topics;
  defaultRegion: string;
  /** The tenants' blocklists of junk identifier values. */
  blocklists?: BlocklistSource;
  /** The tenants' consent scopes: a consent event for a scope its tenant did not configure is a dead letter. */
  consentScopes?: Pick<ConsentScopeStore, 'allows'>;
  /** Which events of a batch belong to an erased person (suppression.ts): dropped, never resolved. */
  suppressed?: (items: IdentifiedInput[]) => Promise<Set<number>>;
  metrics?: Metrics;
  logger?: Logger;
}

const resolvedTypedFields = new Set(EVENT_CATALOG.map((e) => e.type));

/** Consent events for a scope their tenant did not configure become dead letters (kept, to send again once it is). */
async function refuseUnknownScopes(steps: StepResult<IdentifiedInput>[], scopes: Pick<ConsentScopeStore, 'allows'>): Promise<void> {
  for (let n = 0; n < steps.length; n++) {
    const step = steps[n]!;
    if (step.type !== 'ok') continue;
    const scope = consentOf(step.value.event)?.scope;
    if (scope !== undefined && !(await scopes.allows(step.value.event.tenant_id, scope))) {
      steps[n] = dlq('consent-scope', `consent scope "${scope}" is not configured for the tenant (PUT /v1/consent/scopes)`);
    }
  }
}

export function createResolverStage(deps: ResolverStageDeps): Stage {
  const parse = createParseRawEventStep(deps.codec);
  const identify = createIdentifyStep(deps.graph, deps.defaultRegion, deps.blocklists);

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
    // The change first, then the domain events it made (registered, consent_updated), in order on the profile's key.
    for (const change of resolution.change ? [resolution.change, ...resolution.also] : resolution.also) {
      outputs.push({ topic: deps.topics.profileChanges, key, value: await deps.codec.encode(deps.topics.profileChanges, change) });
    }
    outputs.push({ topic: deps.topics.resolved, key, value: await deps.codec.encode(deps.topics.resolved, resolved) });
    return outputs;
  }

  return {
    name: 'resolver',
    groupId: consumerGroup(deps.topics, 'resolver'),
    topics: Object.values(deps.topics.raw),
    async handleBatch(messages) {
      // Decoded and identified one by one; resolved together, in order, with a few queries for
      // the whole batch. A database failure throws and the batch is retried.
      const steps = await Promise.all(messages.map(async (message) => andThen(await parse(message), identify)));
      if (deps.consentScopes) await refuseUnknownScopes(steps, deps.consentScopes);
      const erased = deps.suppressed ? await deps.suppressed(steps.filter((s) => s.type === 'ok').map((s) => (s as { value: IdentifiedInput }).value)) : new Set<number>();
      let okIndex = 0;
      for (let n = 0; n < steps.length; n++) {
        if (steps[n]!.type !== 'ok') continue;
        if (erased.has(okIndex++)) steps[n] = { type: 'drop', step: 'erased', reason: 'the person was erased; the event is not resolved' };
      }
      const identified = steps.filter((s): s is { type: 'ok'; value: IdentifiedInput } => s.type === 'ok').map((s) => s.value);
      const resolutions = await deps.graph.resolveBatch(identified);
      // Durable before the outputs are published and the positions committed.
      await deps.graph.flush();
      const outcomes: MessageOutcome[] = [];
      let next = 0;
      for (const step of steps) {
        if (step.type !== 'ok') outcomes.push(step);
        else outcomes.push({ type: 'ok', outputs: await outputsOf({ event: step.value.event, resolution: resolutions[next++]! }) });
      }
      return outcomes;
    },
  };
}
