/**
 * The HTTP server shared by the ingest endpoints and the read API: bearer API keys (each key
 * belongs to one tenant; the tenant never comes from the body), /healthz, /metrics. Every
 * route needs a key but the public ones (/healthz, the documentation under /docs, and /metrics
 * unless C360_METRICS_PUBLIC=false); input no handler can use (request-guards.ts) is refused
 * with 400 before any handler runs.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ApiKey } from './config.ts';
import { createKeyring, type KeyStore } from './api-keys.ts';
import { isAuditedAction, type ApiAudit } from './api-audit.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { StagesHealth } from './stage-health.ts';
import { DOCS_PREFIX } from './openapi.ts';
import { roleAllows, type KeyRole } from './key-roles.ts';
import { MAX_JSON_DEPTH, badRequest, inputProblem, nestedDeeperThan } from './request-guards.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    /** Sources the key may send; null for every source. */
    allowedSources: string[] | null;
    /** False when the raw JSON body holds no \u0000 escape, so no string in it can hold a NUL. */
    bodyMayHoldNul: boolean;
    /** The role of the request's key, and its public ID (for audits). */
    keyRole: KeyRole;
    keyId: string;
  }
  interface FastifyContextConfig {
    /** The role a key needs for this route (x-c360-role of its operation in docs/openapi.yaml). */
    role?: KeyRole;
  }
}

export interface HttpOptions {
  logger: Logger;
  metrics: Metrics;
  apiKeys: ApiKey[];
  /** Keys issued with `c360 keys create`, when this process has Postgres. */
  keyStore: KeyStore | null;
  maxBodyBytes: number;
  /** GET /metrics answers without a key (Prometheus scraping); true when absent. */
  metricsPublic?: boolean;
  /** Answers whether every engine this process uses is reachable. */
  isReady: () => boolean;
  /** The pipeline stages of this process, with whether one has been retrying too long (stage-health.ts). */
  stages?: () => StagesHealth;
  /** Where API actions are recorded (api-audit.ts); none without Postgres. */
  audit?: ApiAudit | null;
}


/** The API key: "Bearer <key>", or HTTP Basic with the key as the user (Segment's write key). */
function keyOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || null;
}

/**
 * Whether the route the router matched (its declared URL, as in `app.get(url)`) answers
 * without a key: the readiness check, Swagger UI and the document under DOCS_PREFIX, the
 * console's pages (which call /v1 with the key a person signs in with), and the metrics when public. A path that matches no route (url undefined) is not public.
 */
export function isPublicRoute(url: string | undefined, metricsPublic: boolean): boolean {
  if (url === undefined) return false;
  return url === '/healthz' || url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`) || url === '/console' || url.startsWith('/console/') || (metricsPublic && url === '/metrics');
}

export function createHttpServer(options: HttpOptions): FastifyInstance {
  const metricsPublic = options.metricsPublic ?? true;
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: options.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const tenantOf = createKeyring(options.apiKeys);
  app.decorateRequest('tenantId', '');
  app.decorateRequest('allowedSources', null);
  app.decorateRequest('bodyMayHoldNul', true);
  app.decorateRequest('keyRole', 'ingest');
  app.decorateRequest('keyId', '');
  // JSON as Fastify parses it (prototype poisoning refused), not nested deeper than a handler
  // can walk, noting on the way whether the raw text can hold a NUL character, which Postgres
  // text cannot store: most bodies need no search. The other bodies routes take (text, and the
  // form-encoded webhooks of messaging.ts) have no nesting.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) return done(badRequest(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    request.bodyMayHoldNul = text.includes('\\u0000');
    parseJson(request, text, done);
  });

  // The one authentication check, on the route the router matched from the decoded path, never
  // on the text of the URL (which may spell the same route another way). A path that matches no
  // route needs a key too, so a caller without one learns nothing from the 404.
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request.routeOptions.url, metricsPublic)) return;
    const key = keyOf(request);
    const found = key ? (tenantOf(key) ?? (await options.keyStore?.lookup(key)) ?? null) : null;
    if (!found) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'send "Authorization: Bearer <api key>" with a key of your tenant' });
    }
    request.tenantId = found.tenantId;
    request.allowedSources = found.sources;
    request.keyRole = found.role;
    request.keyId = found.keyId;
    const needed = request.routeOptions.config?.role;
    if (needed && !roleAllows(found.role, needed)) {
      return reply.code(403).send({ error: 'forbidden', message: `this API key has the role ${found.role}; ${request.method} ${request.routeOptions.url} needs ${needed}${needed === 'admin' ? '' : ' (or admin)'}` });
    }
  });

  // Query and path parameters no handler can use, after the key: a caller without one gets 401.
  app.addHook('onRequest', async (request, reply) => {
    const problem = inputProblem(request.query, request.params);
    if (problem) return reply.code(400).send({ error: 'bad_request', message: problem });
  });

  // Actions (changes through routes of role read or admin) are recorded with the key that made them.
  const audit = options.audit;
  if (audit) {
    // Before the answer leaves (onSend), so a client that reads the audit next finds its action.
    app.addHook('onSend', async (request, reply, payload) => {
      if (!request.keyId || !isAuditedAction(request.method, request.routeOptions.config?.role)) return payload;
      const entry = {
        tenantId: request.tenantId,
        keyId: request.keyId,
        role: request.keyRole,
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0]!,
        // The IDs of what was done; a refused request's path may name what is not the tenant's.
        params: reply.statusCode < 400 ? ((request.params ?? {}) as Record<string, string>) : {},
        status: reply.statusCode,
      };
      await audit.record(entry).catch((error: unknown) => request.log.error({ err: error, route: entry.route }, 'the audit of an API action was not recorded'));
      return payload;
    });
  }

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `body larger than ${options.maxBodyBytes} bytes; send smaller batches`
        : status >= 500
          ? 'internal error'
          : error.message;
    return reply.code(status).send({ error: status === 413 ? 'payload_too_large' : status >= 500 ? 'internal' : 'bad_request', message });
  });

  // 200 "ok" when ready and no stage is stuck; 503 "starting", or "degraded" while a stage has
  // been retrying an engine's failure for longer than C360_STAGE_STUCK_AFTER_MS.
  app.get('/healthz', async (_request, reply) => {
    const ready = options.isReady();
    const health = options.stages?.();
    const status = !ready ? 'starting' : health?.degraded ? 'degraded' : 'ok';
    return reply.code(status === 'ok' ? 200 : 503).send(health ? { status, stages: health.stages } : { status });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  return app;
}
