/**
 * The read API of profiles: by ID, or by any identifier (the checkout lookup). One Postgres
 * statement answers both the identity (the graph) and the aggregates (the serving copy enrich
 * writes beside ClickHouse); ClickHouse only for a profile whose copy is not written yet. A
 * profile of another tenant answers 404, like one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import { NO_AGGREGATES, type Aggregates } from '../enrich/index.ts';
import { MAX_TIMELINE_PAGE, createTimelineReader, decodeCursor } from '../warehouse/index.ts';
import { DEFAULT_SHARING_LIMITS, SplitError, type GraphStore, type TenantSettings } from '../resolver/index.ts';
import type { ProfileChange } from '../schemas/types.ts';
import { parseRules, type SurvivorshipRule } from '../resolver/index.ts';
import { API_ORDER, IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES, type Identifier, type IdentifierType } from '../resolver/index.ts';
import { SOURCES, type Source } from '../schemas/types.ts';

export interface ProfileRoutesDeps {
  graph: GraphStore;
  clickhouse: ClickHouseHandle;
  defaultRegion: string;
  /** Publishes profile changes made through the API (splits). */
  publishChanges: (changes: ProfileChange[]) => Promise<void>;
}

export function createAggregateReader(ch: ClickHouseHandle) {
  const columns = Object.keys(NO_AGGREGATES).join(', ');
  return async (tenantId: string, customer360Id: string): Promise<Aggregates> => {
    const result = await ch.client.query({
      query: `SELECT ${columns} FROM ${ch.database}.profile_aggregates FINAL
              WHERE tenant_id = {tenant:String} AND customer360_id = {id:UUID} LIMIT 1`,
      query_params: { tenant: tenantId, id: customer360Id },
      format: 'JSONEachRow',
      // UInt32 counts as JSON numbers.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const [row] = await result.json<Aggregates>();
    return row ?? NO_AGGREGATES;
  };
}

type Query = Partial<Record<IdentifierType | 'source' | 'include_deleted', string>>;

/** "email, phone, auth_user_id, anonymous_id, or source and source_record_id" */
const LOOKUP_PARAMETERS = API_ORDER.map((type) => (IDENTIFIER_TYPES[type].perSource ? `source and ${type}` : type));
const LOOKUP_HINT = `give one of ${LOOKUP_PARAMETERS.slice(0, -1).join(', ')}, or ${LOOKUP_PARAMETERS.at(-1)}`;

/** The identifier of a lookup: the first parameter given, in the API's order. */
function identifierOf(query: Query, defaultRegion: string, emailProviderRules = false): Identifier | { error: string } {
  const type = API_ORDER.find((t) => query[t]);
  if (type === undefined) return { error: LOOKUP_HINT };
  const { normalize, perSource } = IDENTIFIER_TYPES[type];
  if (perSource && !(SOURCES as readonly string[]).includes(query.source ?? '')) return { error: `${type} needs source, one of ${SOURCES.join(', ')}` };
  const source = perSource ? query.source! : '';
  const normalized = normalize(query[type]!, { region: defaultRegion, providerRules: emailProviderRules });
  return 'value' in normalized ? { type, source, value: normalized.value } : { error: normalized.rejected };
}

export function registerProfileRoutes(app: FastifyInstance, deps: ProfileRoutesDeps): void {
  const aggregatesOf = createAggregateReader(deps.clickhouse);
  // One Postgres statement answers a profile with the serving copy of its aggregates; ClickHouse
  // is asked only for a profile whose copy is not written yet (e.g. computed before the copy existed).
  // A soft-deleted profile is out of the active directory: only ?include_deleted=true shows it.
  const answer = async (tenantId: string, by: Parameters<GraphStore['readProfile']>[1], includeDeleted = false) => {
    const found = await deps.graph.readProfile(tenantId, by);
    if (!found || (!includeDeleted && found.deleted_at !== null)) return null;
    const { summary, ...profile } = found;
    const aggregates = summary ?? (await aggregatesOf(tenantId, profile.customer360_id));
    const fullName = [profile.traits.first_name, profile.traits.last_name].filter((v) => v && v.trim() !== '').join(' ');
    return {
      ...profile,
      full_name: fullName === '' ? null : fullName,
      primary_email: profile.emails[0] ?? null,
      primary_phone: profile.phones[0] ?? null,
      aggregates,
    };
  };
  const withDeleted = (q: { include_deleted?: string }) => q.include_deleted === 'true';

  app.get<{ Params: { id: string }; Querystring: { include_deleted?: string } }>('/v1/profiles/:id', async (request, reply) => {
    const profile = await answer(request.tenantId, { id: request.params.id }, withDeleted(request.query));
    if (!profile) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    return profile;
  });

  // Soft delete and restore: hidden from lookups, customer360 and segments, kept with its orders.
  const setDeleted = (deleted: boolean) => async (request: { tenantId: string; params: { id: string } }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    const change = await deps.graph.setDeleted(request.tenantId, request.params.id, deleted);
    if (!change) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    await deps.publishChanges([change]);
    return { customer360_id: change.customer360_id, deleted };
  };
  app.delete<{ Params: { id: string } }>('/v1/profiles/:id', setDeleted(true));
  app.post<{ Params: { id: string } }>('/v1/profiles/:id/restore', setDeleted(false));

  // Identity settings of the tenant: phone region, email provider rules, sharing limits, source priority.
  const settingsAnswer = (s: TenantSettings) => ({
    default_region: s.defaultRegion,
    email_provider_rules: s.emailProviderRules,
    identifier_sharing_limits: s.sharingLimits,
    source_priority: s.sourcePriority,
  });
  app.get('/v1/identity/settings', async (request) => settingsAnswer(await deps.graph.tenantSettings(request.tenantId)));
  app.put<{ Body: { default_region?: unknown; email_provider_rules?: unknown; identifier_sharing_limits?: unknown; source_priority?: unknown } | null }>('/v1/identity/settings', async (request, reply) => {
    const body = request.body ?? {};
    // Not an object (text, an array): refused, rather than read as "every setting left out".
    if (typeof body !== 'object' || Array.isArray(body)) {
      return reply.code(400).send({ error: 'bad_request', message: 'send a JSON object such as {"default_region": "DE", "email_provider_rules": true}' });
    }
    const region = body.default_region ?? null;
    if (region !== null && (typeof region !== 'string' || !/^[A-Z]{2}$/.test(region))) {
      return reply.code(400).send({ error: 'bad_request', message: 'default_region must be a two-letter ISO country code in capitals, or null' });
    }
    if (body.email_provider_rules !== undefined && typeof body.email_provider_rules !== 'boolean') {
      return reply.code(400).send({ error: 'bad_request', message: 'email_provider_rules must be true or false' });
    }
    const limits = parseSharingLimits(body.identifier_sharing_limits);
    if ('error' in limits) return reply.code(400).send({ error: 'bad_request', message: limits.error });
    const priority = parseSourcePriority(body.source_priority);
    if ('error' in priority) return reply.code(400).send({ error: 'bad_request', message: priority.error });
    await deps.graph.setTenantSettings(request.tenantId, {
      defaultRegion: region,
      emailProviderRules: body.email_provider_rules === true,
      sharingLimits: limits.limits,
      sourcePriority: priority.sources,
    });
    // As stored: the source priority completed with the sources it leaves out.
    return settingsAnswer(await deps.graph.tenantSettings(request.tenantId));
  });

  // Survivorship rules of the tenant, per profile field.
  app.get('/v1/identity/survivorship', async (request) => ({ rules: await deps.graph.survivorshipRules(request.tenantId) }));
  app.put<{ Body: unknown }>('/v1/identity/survivorship', async (request, reply) => {
    const rules = parseRules((request.body as { rules?: unknown } | null)?.rules, SOURCES);
    if ('error' in rules) return reply.code(400).send({ error: 'bad_request', message: rules.error as string });
    await deps.graph.setSurvivorshipRules(request.tenantId, rules as Record<string, SurvivorshipRule>);
    return { rules };
  });

  // What a person should look at: merges the resolver refused and probable matches it did not link.
  app.get<{ Querystring: { limit?: string } }>('/v1/identity/review', async (request) => {
    // Documented as lenient: out of range is clamped, a fraction rounded down, not a number means 100.
    const limit = Math.floor(Math.min(1000, Math.max(1, Number(request.query.limit ?? 100) || 100)));
    return deps.graph.reviewQueue(request.tenantId, limit);
  });

  // The activity timeline across all sources, newest first, paged: ?limit=50&before=<next of the previous page>.
  const timelineOf = createTimelineReader(deps.clickhouse);
  app.get<{ Params: { id: string }; Querystring: { limit?: string; before?: string } }>('/v1/profiles/:id/timeline', async (request, reply) => {
    const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMELINE_PAGE) {
      return reply.code(400).send({ error: 'bad_request', message: `limit must be a whole number from 1 to ${MAX_TIMELINE_PAGE}` });
    }
    const before = request.query.before === undefined ? undefined : decodeCursor(request.query.before);
    if (before === null) return reply.code(400).send({ error: 'bad_request', message: 'before must be the "next" cursor of a previous page' });
    const profile = await deps.graph.profileById(request.tenantId, request.params.id);
    if (!profile) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    const page = await timelineOf(request.tenantId, [profile.customer360_id, ...profile.merged_ids], { limit, before });
    return { customer360_id: profile.customer360_id, ...page };
  });

  app.get<{ Params: { id: string } }>('/v1/profiles/:id/merges', async (request, reply) => {
    const profile = await deps.graph.profileById(request.tenantId, request.params.id);
    if (!profile) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    return { customer360_id: profile.customer360_id, merges: await deps.graph.mergesOf(request.tenantId, profile.customer360_id) };
  });

  // Split (unmerge): the merged-away profile is restored from the audit of the merge.
  app.post<{ Params: { id: string }; Body: { merged_id?: unknown; reason?: unknown } }>('/v1/profiles/:id/split', async (request, reply) => {
    const body = request.body ?? {};
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (typeof body.merged_id !== 'string' || !uuid.test(body.merged_id) || !uuid.test(request.params.id)) {
      return reply.code(400).send({ error: 'bad_request', message: 'send {"merged_id": "<the profile ID to split off>"} to /v1/profiles/<survivor ID>/split' });
    }
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 500) : null;
    let changes: ProfileChange[];
    try {
      changes = await deps.graph.split(request.tenantId, request.params.id, body.merged_id, reason, request.keyId || null);
    } catch (error) {
      if (error instanceof SplitError) return reply.code(error.message === 'no such profile' ? 404 : 409).send({ error: 'cannot_split', message: error.message });
      throw error;
    }
    await deps.publishChanges(changes);
    const [survivor, restored] = await Promise.all([
      answer(request.tenantId, { id: request.params.id }),
      answer(request.tenantId, { id: body.merged_id }),
    ]);
    return { survivor, restored };
  });

  app.get<{ Params: { id: string } }>('/v1/profiles/:id/consent', async (request, reply) => {
    const records = await deps.graph.consentHistory(request.tenantId, request.params.id);
    if (!records) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    return { records };
  });

  app.get<{ Querystring: Query }>('/v1/profiles', async (request, reply) => {
    const settings = await deps.graph.tenantSettings(request.tenantId);
    const identifier = identifierOf(request.query, settings.defaultRegion ?? deps.defaultRegion, settings.emailProviderRules);
    if ('error' in identifier) return reply.code(400).send({ error: 'bad_request', message: identifier.error });
    const profile = await answer(request.tenantId, { identifier }, withDeleted(request.query));
    if (!profile) return reply.code(404).send({ error: 'not_found', message: 'no profile with that identifier' });
    return profile;
  });
}

const SHARABLE = IDENTIFIER_TYPE_NAMES.filter((type) => IDENTIFIER_TYPES[type].sharable);

/**
 * `identifier_sharing_limits`: absent or null for the defaults, else an object of identifier
 * type to a whole number of profiles from 1 to 1,000 (types left out have no limit).
 */
function parseSharingLimits(input: unknown): { limits: TenantSettings['sharingLimits'] } | { error: string } {
  if (input === undefined || input === null) return { limits: DEFAULT_SHARING_LIMITS };
  if (typeof input !== 'object' || Array.isArray(input)) return { error: 'identifier_sharing_limits must be an object such as {"phone": 5}' };
  const limits: TenantSettings['sharingLimits'] = {};
  for (const [type, n] of Object.entries(input)) {
    if (!(SHARABLE as readonly string[]).includes(type)) return { error: `identifier_sharing_limits.${type}: not a shareable identifier type (${SHARABLE.join(', ')})` };
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) return { error: `identifier_sharing_limits.${type}: must be a whole number from 1 to 1000` };
    limits[type as IdentifierType] = n;
  }
  return { limits };
}

/**
 * `source_priority`: absent or null for the default (crm, pos, messaging, web), else a non-empty
 * array of distinct sources, most trusted first; those left out follow in the default order.
 */
function parseSourcePriority(input: unknown): { sources: Source[] | undefined } | { error: string } {
  if (input === undefined || input === null) return { sources: undefined };
  const example = 'source_priority must be an array of sources, most trusted first, such as ["pos", "crm"]';
  if (!Array.isArray(input) || input.length === 0) return { error: example };
  const seen = new Set<string>();
  for (const [i, source] of input.entries()) {
    if (typeof source !== 'string') return { error: `source_priority/${i}: must be a source name (${SOURCES.join(', ')})` };
    if (!(SOURCES as readonly string[]).includes(source)) return { error: `source_priority/${i}: unknown source ${JSON.stringify(source.slice(0, 100))}; the sources are ${SOURCES.join(', ')}` };
    if (seen.has(source)) return { error: `source_priority/${i}: ${source} is given twice` };
    seen.add(source);
  }
  return { sources: input as Source[] };
}
