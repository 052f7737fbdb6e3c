/**
 * The OpenAPI description (docs/openapi.yaml) served at /docs: the page and the JSON answer
 * without a key; the document is well formed (no OpenAPI validator is installed: the required
 * top-level fields, every $ref, path parameters, unique operation IDs, every schema compiled
 * as JSON Schema 2020-12 and every example valid against its schema); it describes exactly the
 * routes the server registers, both ways, so neither can drift from the other; and answers of
 * the running server match the documented schemas.
 */
import dc from 'node:diagnostics_channel';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** "GET /v1/profiles/{id}" for a Fastify route "/v1/profiles/:id". */
const routeKey = (method: string, url: string) => `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
/** Swagger UI and the console's pages: HTML and files, not API operations. */
const isDocsRoute = (url: string) => url === '/docs' || url.startsWith('/docs/') || url === '/console' || url.startsWith('/console/');

/** The JSON pointer target of a local $ref ("#/components/schemas/Profile"). */
function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = (node as Json)[part];
  }
  return node;
}

const deref = (doc: Json, node: Json): Json => (node && typeof node.$ref === 'string' ? deref(doc, resolvePointer(doc, node.$ref) as Json) : node);

/** Every object of the document with its JSON-pointer-like location. */
function* walk(node: unknown, at = ''): Generator<[string, Json]> {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* walk(n, `${at}/${i}`);
  } else if (node && typeof node === 'object') {
    yield [at, node as Json];
    for (const [k, v] of Object.entries(node)) yield* walk(v, `${at}/${k}`);
  }
}

describe('OpenAPI description at /docs', () => {
  let t: TestRuntime;
  let doc: Json;
  /** Routes each Fastify instance registered, collected from its creation on. */
  const routesOf = new Map<FastifyInstance, Set<string>>();
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    const routes = new Set<string>();
    routesOf.set(fastify, routes);
    fastify.addHook('onRoute', (route) => {
      for (const method of ([] as string[]).concat(route.method as HTTPMethods | HTTPMethods[])) routes.add(routeKey(method, route.url ?? route.path));
    });
  };

  beforeAll(async () => {
    // Fastify announces each new instance on this channel before any route is added to it.
    dc.subscribe('fastify.initialization', onInit);
    try {
      t = await startTestRuntime();
    } finally {
      dc.unsubscribe('fastify.initialization', onInit);
    }
    const answer = await t.request('GET', '/docs/json', null);
    expect(answer.status).toBe(200);
    doc = answer.body;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Schema validators over the document's components (refs rewritten to $defs). */
  let ajv: Ajv2020;
  const SCHEMAS_ID = 'https://customer360.invalid/openapi-components';
  const rewriteRefs = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(rewriteRefs)
      : node && typeof node === 'object'
        ? Object.fromEntries(
            Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? `${SCHEMAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}` : rewriteRefs(v)]),
          )
        : node;
  const compile = (schema: Json): ValidateFunction => {
    if (!ajv) {
      ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
      (addFormats as unknown as (a: Ajv2020) => void)(ajv);
      ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) as Json });
    }
    return ajv.compile(rewriteRefs(schema) as Json);
  };

  /** The schema of an answer as documented: path and method as in the document, status, media type. */
  const answerSchema = (path: string, method: string, status: number, mediaType = 'application/json'): Json => {
    const operation = doc.paths[path]?.[method];
    if (!operation) throw new Error(`${method} ${path} is not documented`);
    const response = deref(doc, operation.responses?.[String(status)]);
    if (!response) throw new Error(`${method} ${path} has no documented ${status} answer`);
    const schema = response.content?.[mediaType]?.schema;
    if (!schema) throw new Error(`${method} ${path} ${status} documents no ${mediaType} body`);
    return schema;
  };
  const expectDocumented = (path: string, method: string, answer: { status: number; body: unknown }) => {
    const validate = compile(answerSchema(path, method, answer.status));
    const ok = validate(answer.body);
    expect(ok ? null : { path, method, status: answer.status, errors: validate.errors, body: answer.body }).toBeNull();
  };

  it('serves Swagger UI and the document without an API key', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/swagger-ui/i);
    for (const asset of ['swagger-initializer.js', 'swagger-ui-bundle.js', 'swagger-ui.css']) {
      expect((await fetch(`${t.url}/docs/static/${asset}`)).status, asset).toBe(200);
    }

    const json = await fetch(`${t.url}/docs/json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Customer 360 API');
    // The API itself still wants a key.
    expect((await t.request('GET', '/v1/segments', null)).status).toBe(401);
  });

  it('is a well-formed OpenAPI 3.1 document', () => {
    // Required top-level fields (OpenAPI 3.1: openapi, info with title and version, and paths, components or webhooks).
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(doc.paths && typeof doc.paths).toBe('object');

    const problems: string[] = [];
    // Every $ref points at something.
    for (const [at, node] of walk(doc)) {
      if (typeof node.$ref === 'string' && resolvePointer(doc, node.$ref) === undefined) problems.push(`${at}: $ref ${node.$ref} does not resolve`);
    }
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    const checkSecurity = (at: string, requirements: Json[] | undefined) => {
      for (const requirement of requirements ?? []) for (const name of Object.keys(requirement)) if (!schemes.includes(name)) problems.push(`${at}: unknown security scheme ${name}`);
    };
    checkSecurity('security', doc.security);
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (!path.startsWith('/')) problems.push(`${path}: a path starts with /`);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const method of METHODS) {
        const operation = item[method] as Json | undefined;
        if (!operation) continue;
        const at = `${method.toUpperCase()} ${path}`;
        if (!operation.operationId) problems.push(`${at}: no operationId`);
        else if (operationIds.has(operation.operationId)) problems.push(`${at}: operationId ${operation.operationId} used twice`);
        else operationIds.add(operation.operationId);
        if (!operation.summary && !operation.description) problems.push(`${at}: no summary or description`);
        if (!operation.responses || Object.keys(operation.responses).length === 0) problems.push(`${at}: no responses`);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          if (!/^[1-5](\d\d|XX)$|^default$/.test(status)) problems.push(`${at}: bad status ${status}`);
          if (typeof deref(doc, response as Json)?.description !== 'string') problems.push(`${at} ${status}: no description`);
        }
        checkSecurity(at, operation.security);
        const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p: Json) => deref(doc, p));
        const inPath = parameters.filter((p) => p.in === 'path').map((p) => p.name);
        for (const name of templated) if (!inPath.includes(name)) problems.push(`${at}: path parameter {${name}} is not declared`);
        for (const name of inPath) if (!templated.includes(name)) problems.push(`${at}: parameter ${name} is not in the path`);
        for (const p of parameters) if (p.in === 'path' && p.required !== true) problems.push(`${at}: path parameter ${p.name} must be required`);
        const seen = new Set(parameters.map((p) => `${p.in}:${p.name}`));
        if (seen.size !== parameters.length) problems.push(`${at}: a parameter is declared twice`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('holds schemas that compile and examples that match them', () => {
    const problems: string[] = [];
    for (const name of Object.keys(doc.components.schemas)) {
      try {
        compile({ $ref: `#/components/schemas/${name}` });
      } catch (error) {
        problems.push(`components/schemas/${name}: ${(error as Error).message}`);
      }
    }
    let examples = 0;
    for (const [at, node] of walk(doc)) {
      // Media types and parameters: a schema, and maybe an example of it.
      if (!node.schema || typeof node.schema !== 'object' || at.includes('/components/schemas')) continue;
      let validate: ValidateFunction;
      try {
        validate = compile(node.schema);
      } catch (error) {
        problems.push(`${at}/schema: ${(error as Error).message}`);
        continue;
      }
      if (node.example !== undefined) {
        examples++;
        if (!validate(node.example)) problems.push(`${at}/example: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(examples).toBeGreaterThan(10);
  });

  it('documents every route the server registers, and no other', () => {
    const app = t.runtime.app!;
    const registered = routesOf.get(app);
    expect(registered, 'the runtime app was seen at its creation').toBeDefined();
    const served = [...registered!].filter((r) => !r.startsWith('HEAD ') && !isDocsRoute(r.slice(r.indexOf(' ') + 1))).sort();
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const method of METHODS) if (item[method]) documented.push(`${method.toUpperCase()} ${path}`);
    }
    documented.sort();
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((r) => !documented.includes(r)), 'routes the server registers that docs/openapi.yaml does not describe').toEqual([]);
    expect(documented.filter((r) => !served.includes(r)), 'paths of docs/openapi.yaml the server does not register').toEqual([]);
    // The same, asked of the router itself.
    for (const route of documented) {
      const [method, path] = route.split(' ') as [HTTPMethods, string];
      expect(app.hasRoute({ method, url: path.replace(/\{([^}]+)\}/g, ':$1') }), route).toBe(true);
    }
  });

  it('matches what the server answers', async () => {
    expectDocumented('/healthz', 'get', await t.request('GET', '/healthz', null));
    const unauthorized = await t.request('GET', '/v1/identity/settings', null);
    expect(unauthorized.status).toBe(401);
    expectDocumented('/v1/identity/settings', 'get', unauthorized);
    for (const path of ['/v1/identity/settings', '/v1/identity/survivorship', '/v1/identity/review', '/v1/identity/blocklist', '/v1/segments']) {
      const answer = await t.request('GET', path, KEY_A);
      expect(answer.status, path).toBe(200);
      expectDocumented(path, 'get', answer);
    }
    expectDocumented('/v1/profiles/{id}', 'get', await t.request('GET', '/v1/profiles/00000000-0000-4000-8000-000000000000', KEY_A));
    expectDocumented('/v1/profiles', 'get', await t.request('GET', '/v1/profiles', KEY_A));
    expectDocumented('/v1/profiles/{id}/timeline', 'get', await t.request('GET', '/v1/profiles/x/timeline?limit=0', KEY_A));

    const ann = { email: 'ann.openapi@mail.test', phone: '(415) 555-0142' };
    const events = [
      { event_id: 'oas-1', source: 'crm', type: 'contact_created', occurred_at: '2026-04-01T10:00:00Z', identity: ann, traits: { first_name: 'Ann' } },
      { event_id: 'oas-2', source: 'pos', type: 'order_completed', occurred_at: '2026-04-02T10:00:00Z', identity: { email: ann.email }, properties: { order_id: 'oas-o1', total_minor: 2550, currency: 'USD' } },
      { event_id: 'oas-3', source: 'crm', type: 'consent_changed', occurred_at: '2026-04-03T10:00:00Z', identity: { email: ann.email }, properties: { scope: 'email', status: 'granted' } },
      { event_id: 'oas-bad', source: 'pos', type: 'order_completed', occurred_at: 'yesterday' },
    ];
    const posted = await t.request('POST', '/v1/events', KEY_A, events);
    expect(posted.status).toBe(200);
    expectDocumented('/v1/events', 'post', posted);
    expectDocumented('/v1/events', 'post', await t.request('POST', '/v1/events', KEY_A, { nope: true }));
    const tracked = await t.request('POST', '/v1/track', KEY_A, { userId: 'oas-u1', event: 'Order Completed', properties: { total: 25.5 }, messageId: 'oas-m1' });
    expect(tracked.status).toBe(200);
    expectDocumented('/v1/track', 'post', tracked);
    expectDocumented('/v1/track', 'post', await t.request('POST', '/v1/track', KEY_A, { userId: 'oas-u1' }));
    expectDocumented('/v1/messaging/email-events', 'post', await t.request('POST', '/v1/messaging/email-events', KEY_A, [{ email: ann.email, timestamp: 1775000000, event: 'open', sg_event_id: 'oas-sg1' }]));

    const profile = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(ann.email)}`, KEY_A);
      return r.status === 200 && r.body.consent.email && r.body.aggregates.orders_count === 1 ? r : null;
    }, 30_000, 'the profile with its aggregates');
    expectDocumented('/v1/profiles', 'get', profile);
    const id = profile.body.customer360_id as string;
    for (const suffix of ['', '/consent', '/merges', '/timeline', '/export']) {
      const answer = await t.request('GET', `/v1/profiles/${id}${suffix}`, KEY_A);
      expect(answer.status, suffix).toBe(200);
      expectDocumented(`/v1/profiles/{id}${suffix}`, 'get', answer);
    }
    const consent = await t.request('POST', `/v1/profiles/${id}/consent`, KEY_A, { scope: 'sms', status: 'granted' });
    expect(consent.status).toBe(202);
    expectDocumented('/v1/profiles/{id}/consent', 'post', consent);
    expectDocumented('/v1/profiles/{id}/consent', 'post', await t.request('POST', `/v1/profiles/${id}/consent`, KEY_A, { scope: 'fax', status: 'granted' }));
    expectDocumented('/v1/profiles/{id}', 'delete', await t.request('DELETE', `/v1/profiles/${id}`, KEY_A));
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).status).toBe(404);
    expectDocumented('/v1/profiles/{id}', 'get', await t.request('GET', `/v1/profiles/${id}?include_deleted=true`, KEY_A));
    expectDocumented('/v1/profiles/{id}/restore', 'post', await t.request('POST', `/v1/profiles/${id}/restore`, KEY_A));
    expect((await t.request('GET', `/v1/profiles/${id}`, KEY_A)).status).toBe(200);

    const rule = { all: [{ field: 'total_revenue', op: '>=', value: 1 }] };
    const created = await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'oas', name: 'OpenAPI', rule });
    expect(created.status).toBe(200);
    expectDocumented('/v1/segments', 'post', created);
    expectDocumented('/v1/segments', 'post', await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'oas', name: 'OpenAPI', rule }));
    expectDocumented('/v1/segments', 'post', await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'Bad', rule: {} }));
    expectDocumented('/v1/segments/{id}', 'get', await t.request('GET', '/v1/segments/oas', KEY_A));
    expectDocumented('/v1/segments/{id}/members', 'get', await t.request('GET', '/v1/segments/oas/members', KEY_A));
    expectDocumented('/v1/segments/{id}', 'delete', await t.request('DELETE', '/v1/segments/oas', KEY_A));
    expectDocumented('/v1/segments/{id}', 'delete', await t.request('DELETE', '/v1/segments/oas', KEY_A));

    const rows = await t.request('POST', '/v1/sql', KEY_A, { query: 'SELECT count() AS profiles FROM customer360' });
    expect(rows.status).toBe(200);
    expectDocumented('/v1/sql', 'post', rows);
    expectDocumented('/v1/sql', 'post', await t.request('POST', '/v1/sql', KEY_A, { query: 'DROP TABLE events' }));

    const erased = await t.request('POST', `/v1/profiles/${id}/erase`, KEY_A);
    expect(erased.status).toBe(200);
    expectDocumented('/v1/profiles/{id}/erase', 'post', erased);
  });
});
