/**
 * The HTTP server shared by the ingest endpoints and the read API: bearer API keys (each key
 * belongs to one tenant; the tenant never comes from the body), /healthz, /metrics.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ApiKey } from './config.ts';
import { createKeyring, type KeyStore } from './api-keys.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    /** Sources the key may send; null for every source. */
    allowedSources: string[] | null;
    /** False when the raw JSON body holds no \u0000 escape, so no string in it can hold a NUL. */
    bodyMayHoldNul: boolean;
  }
}

export interface HttpOptions {
  logger: Logger;
  metrics: Metrics;
  apiKeys: ApiKey[];
  /** Keys issued with `c360 keys create`, when this process has Postgres. */
  keyStore: KeyStore | null;
  maxBodyBytes: number;
  /** Answers whether every engine this process uses is reachable. */
  isReady: () => boolean;
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

export function createHttpServer(options: HttpOptions): FastifyInstance {
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
  // JSON as Fastify parses it (prototype poisoning refused), noting on the way whether the raw
  // text can hold a NUL character, which Postgres text cannot store: most bodies need no search.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.bodyMayHoldNul = (body as string).includes('\\u0000');
    parseJson(request, body as string, done);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
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
  });

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

  app.get('/healthz', async (_request, reply) => {
    const ready = options.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'starting' });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  return app;
}
