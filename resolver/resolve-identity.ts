import type { RawEvent } from '../schemas/types.ts';
import { ok, type StepResult } from '../platform/result.ts';
import type { GraphStore, Resolution } from './graph-store.ts';
import { extractIdentifiers } from './identifiers.ts';

export interface ResolvedInput {
  event: RawEvent;
  resolution: Resolution;
}

/**
 * Links the event to a profile. An event without usable identifiers (an anonymous cash sale)
 * still gets a profile of its own. Database failures throw: they are retriable.
 */
export function createResolveIdentityStep(graph: GraphStore, defaultRegion: string) {
  return async function resolveIdentityStep(event: RawEvent): Promise<StepResult<ResolvedInput>> {
    const settings = await graph.tenantSettings(event.tenant_id);
    const { identifiers } = extractIdentifiers(event, settings.defaultRegion ?? defaultRegion, { emailProviderRules: settings.emailProviderRules });
    const resolution = await graph.resolve(event, identifiers);
    return ok({ event, resolution });
  };
}
