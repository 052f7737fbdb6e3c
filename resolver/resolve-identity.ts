import type { RawEvent } from '../schemas/types.ts';
import { ok, type StepResult } from '../platform/result.ts';
import type { GraphStore, Resolution } from './graph-store.ts';
import { extractIdentifiers, type Identifier } from './identifiers.ts';
import type { BlocklistSource } from './blocklist.ts';

export interface IdentifiedInput {
  event: RawEvent;
  identifiers: Identifier[];
}

export interface ResolvedInput {
  event: RawEvent;
  resolution: Resolution;
}

/**
 * The normalized identifiers of an event, under its tenant's identity settings (phone region,
 * email provider rules) and without the values on its blocklist. An event without usable identifiers (an anonymous cash sale) still gets
 * a profile of its own when the batch is resolved.
 */
export function createIdentifyStep(graph: GraphStore, defaultRegion: string, blocklists?: BlocklistSource) {
  return async function identifyStep(event: RawEvent): Promise<StepResult<IdentifiedInput>> {
    const [settings, blocklist] = await Promise.all([graph.tenantSettings(event.tenant_id), blocklists?.blocklistOf(event.tenant_id)]);
    const { identifiers } = extractIdentifiers(event, settings.defaultRegion ?? defaultRegion, { emailProviderRules: settings.emailProviderRules, blocklist });
    return ok({ event, identifiers });
  };
}
