/**
 * Authentication is decided on the route the router matched, not on the text of the URL: every
 * route the server registers refuses a caller without a valid key, however the path is spelled
 * (percent-encoded letters, encoded or doubled slashes, dot segments, a trailing slash), except
 * the public ones (/healthz, /docs and below, /metrics unless configured otherwise); an
 * unmatched path tells a keyless caller nothing; and tenant B's key never reaches tenant A's
 * profile or segment through an `:id` route.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../platform/http.ts';
import { createMetrics } from '../platform/metrics.ts';
import { loadConfig } from '../platform/config.ts';
import { silentLogger, waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { isPublicRoute, withRoutes, type RegisteredRoute } from './support/routes.ts';
import { rawRequest, type RawAnswer } from './support/raw-request.ts';

const EMAIL_A = 'ann.route-auth@mail.test';
const SEGMENT_A = 'route-auth-a';
const SEGMENT_A_NAME = 'Segment of tenant A only';
const WRONG_KEYS: Record<string, string>[] = [
  { authorization: `Bearer ${KEY_A}x` },
  { authorization: `Bearer ${KEY_A.slice(0, -1)}` },
  { authorization: 'Bearer c360_000000000000_notakeyatall' },
  { authorization: `Basic ${Buffer.from(`${KEY_A}x:`).toString('base64')}` },
  { authorization: `Basic ${Buffer.from(`\u0000${KEY_A}:`).toString('base64')}` },
  { authorization: KEY_A },
  { authorization: 'Bearer' },
  { 'x-api-key': KEY_A },
];

/** Calls in parallel, `width` at a time, in order of the input. */
async function inBatches<T, R>(items: T[], width: number, call: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(call))));
  return out;
}

/** Each way of spelling `path` that a lax router or a check of the raw URL might read differently. */
function spellings(path: string): string[] {
  const out = new Set<string>();
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  for (let i = 1; i < path.length; i++) {
    if (!/[A-Za-z0-9]/.test(path[i]!)) continue;
    out.add(path.slice(0, i) + hex(path[i]!).toUpperCase() + path.slice(i + 1));
    out.add(path.slice(0, i) + hex(path[i]!) + path.slice(i + 1));
  }
  out.add(path.replace(/[A-Za-z0-9]/g, (c) => hex(c).toUpperCase()));
  const slashes = [...path.matchAll(/\//g)].map((m) => m.index!);
  for (const at of slashes) {
    const before = path.slice(0, at);
    const after = path.slice(at + 1);
    if (at > 0) {
      out.add(`${before}%2F${after}`);
      out.add(`${before}%2f${after}`);
      out.add(`${before}\\${after}`);
    }
    out.add(`${before}//${after}`);
    out.add(`${before}/./${after}`);
    out.add(`${before}/%2e/${after}`);
    out.add(`${before}/x/../${after}`);
    out.add(`${before}/x/%2e%2e/${after}`);
    out.add(`${before}/x/..%2F${after}`);
  }
  const [, first] = path.split('/');
  out.add(`/${first}/..${path}`);
  out.add(`/${first}/../${path.slice(1)}`);
  out.add(path.replace('/v1/', '/V1/'));
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}/.`);
  out.add(`${path}%2F`);
  out.add(`${path}%00`);
  out.add(`${path}%20`);
  out.add(`${path};x`);
  out.add(`${path}?`);
  out.add(`${path}?x=%00`);
  out.add(`/.${path}`);
  out.add(`//${path.slice(1)}`);
  out.delete(path);
  return [...out];
}

/** Paths through a public route that try to climb to `path`. */
const throughPublic = (path: string) => [
  `/healthz/..${path}`,
  `/metrics/..${path}`,
  `/docs/..${path}`,
  `/docs/%2e%2e${path}`,
  `/docs/..%2F..${path.replaceAll('/', '%2F')}`,
  `/docs/static/..%2F..%2F..${path.replaceAll('/', '%2F')}`,
  `/docs/json/..${path}`,
];

describe('authentication on the matched route', () => {
  let t: TestRuntime;
  let routes: RegisteredRoute[];
  let profileId: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<RawAnswer> =>
    rawRequest(t.url, {
      method,
      path,
      agent,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** The route with its parameters filled: tenant A's profile or segment. */
  const pathOf = (url: string) => {
    if (url.startsWith('/v1/profiles/:id')) return url.replace(':id', profileId);
    if (url.startsWith('/v1/segments/:id')) return url.replace(':id', SEGMENT_A);
    if (url === '/v1/orders/:order_id') return '/v1/orders/auth-order-1';
    if (url === '/docs/static/*') return '/docs/static/swagger-ui.css';
    if (url === '/docs/*') return '/docs/openapi.yaml';
    if (url === '/console/*') return '/console/index.html';
    if (url === '/console/vendor/:file') return '/console/vendor/preact.mjs';
    if (url.startsWith('/v1/identity/review/:id')) return url.replace(':id', '1');
    if (/[:*]/.test(url)) throw new Error(`no sample value for the parameters of ${url}: add one to this test`);
    return url;
  };
  const privateRoutes = () => routes.filter((r) => !isPublicRoute(r.url));

  beforeAll(async () => {
    const { started, routes: registered } = await withRoutes(() => startTestRuntime(), (rt) => rt.runtime.app);
    t = started;
    routes = registered;
    const posted = await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'route-auth-1', source: 'crm', type: 'contact_created', occurred_at: '2026-03-01T10:00:00Z', identity: { email: EMAIL_A }, traits: { first_name: 'Ann' } },
    ]);
    expect(posted.status).toBe(200);
    const created = await t.request('POST', '/v1/segments', KEY_A, { segment_id: SEGMENT_A, name: SEGMENT_A_NAME, rule: { all: [{ field: 'total_revenue', op: '>=', value: 1 }] } });
    expect(created.status).toBe(200);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(EMAIL_A)}`, KEY_A);
      return r.status === 200 ? r : null;
    }, 30_000, 'the profile of tenant A');
    profileId = profile.body.customer360_id;
  });
  afterAll(async () => {
    agent.destroy();
    await t?.stop();
  });

  it('knows every route of the server', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of ['GET /v1/profiles/:id', 'POST /v1/events', 'POST /v1/batch', 'POST /v1/messaging/sms', 'GET /v1/segments/:id/members', 'POST /v1/sql', 'GET /v1/identity/review', 'GET /healthz', 'GET /docs', 'GET /metrics']) {
      expect(keys, expected).toContain(expected);
    }
    expect(privateRoutes().length).toBeGreaterThan(30);
    // Every route can be called: the parameters of each have a sample.
    for (const r of routes) expect(() => pathOf(r.url), r.url).not.toThrow();
  });

  it('refuses a call without a key on every non-public route', async () => {
    const answers = await inBatches(privateRoutes(), 8, async (r) => ({ r, answer: await call(r.method, pathOf(r.url)) }));
    for (const { r, answer } of answers) {
      expect(answer.status, `${r.method} ${r.url}`).toBe(401);
      expect(answer.headers['www-authenticate'], `${r.method} ${r.url}`).toMatch(/^(Bearer|Basic)/);
      if (r.method !== 'HEAD') expect(answer.json, `${r.method} ${r.url}`).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
  });

  it('refuses a wrong key on every non-public route', async () => {
    const calls = privateRoutes().flatMap((r) => WRONG_KEYS.map((headers) => ({ r, headers })));
    const answers = await inBatches(calls, 8, async ({ r, headers }) => ({ r, headers, answer: await call(r.method, pathOf(r.url), headers) }));
    expect(answers.length).toBe(privateRoutes().length * WRONG_KEYS.length);
    for (const { r, headers, answer } of answers) expect(answer.status, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(401);
  });

  it('refuses every spelling of every non-public path without a key', async () => {
    const calls = privateRoutes()
      .filter((r) => r.method !== 'HEAD')
      .flatMap((r) => spellings(pathOf(r.url)).map((path) => ({ r, path })));
    const answers = await inBatches(calls, 16, async ({ r, path }) => ({ r, path, answer: await call(r.method, path) }));
    expect(answers.length).toBeGreaterThan(2000);
    const refused = answers.filter(({ answer }) => answer.status === 401).length;
    const served = answers.filter(({ answer }) => answer.status < 300);
    console.log(`route-auth: ${answers.length} keyless calls on other spellings of ${privateRoutes().length} routes, ${refused} answered 401, ${served.length} 2xx`);
    const line = ({ r, path, answer }: (typeof answers)[number]) => `${r.method} ${path} -> ${answer.status} ${answer.text.slice(0, 120)}`;
    expect(served.map(line), 'answered without a key').toEqual([]);
    // 401 wherever the router reads a path; 400 for a path it cannot read (a bad percent-encoding).
    expect(answers.filter(({ answer }) => answer.status !== 401 && answer.status !== 400).map(line)).toEqual([]);
    for (const { answer } of answers) {
      expect(answer.text).not.toContain(profileId);
      expect(answer.text).not.toContain(EMAIL_A);
    }
  });

  it('reaches nothing of the API through a public route', async () => {
    const calls = privateRoutes()
      .filter((r) => r.method !== 'HEAD')
      .flatMap((r) => throughPublic(pathOf(r.url)).map((path) => ({ r, path })));
    const answers = await inBatches(calls, 16, async ({ r, path }) => ({ r, path, answer: await call(r.method, path) }));
    for (const { r, path, answer } of answers) {
      expect(answer.status, `${r.method} ${path} -> ${answer.status} ${answer.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      // A 404 of the documentation may repeat the path asked for, never anything of the profile.
      expect(answer.text).not.toContain(EMAIL_A);
      expect(answer.text).not.toContain('customer360_id');
    }
  });

  it('tells a caller without a key nothing about a path that matches no route', async () => {
    for (const path of ['/nope', '/v1/nope', '/v2/segments', '/v1/profiles/x/nope', '/v1', '/', '/healthz/', '/metricsx', '/docsx']) {
      const keyless = await call('GET', path);
      expect(keyless.status, path).toBe(401);
      expect(keyless.json, path).toMatchObject({ error: 'unauthorized' });
      expect(keyless.text, path).not.toMatch(/not found|route/i);
      expect((await call('GET', path, { authorization: `Bearer ${KEY_A}` })).status, path).toBe(404);
    }
    expect((await call('DELETE', '/healthz')).status).toBe(401);
  });

  it('answers tenant B 404 on every :id route with tenant A\'s IDs, and changes nothing of A', async () => {
    // The PUT that writes B's own segment of that ID goes last, after every read of the ID.
    const isPut = (r: RegisteredRoute) => r.method === 'PUT' && r.url === '/v1/segments/:id';
    const idRoutes = privateRoutes()
      .filter((r) => r.url.includes(':id') && r.method !== 'HEAD')
      .sort((a, b) => Number(isPut(a)) - Number(isPut(b)));
    expect(idRoutes.length).toBeGreaterThan(10);
    const bodies: Record<string, unknown> = {
      'POST /v1/profiles/:id/consent': { scope: 'email', status: 'granted' },
      'POST /v1/profiles/:id/split': { merged_id: profileId },
      'POST /v1/profiles/:id/merge': { profile_id: profileId },
      'PUT /v1/segments/:id': { name: 'Segment of tenant B', rule: { all: [{ field: 'total_revenue', op: '>=', value: 1 }] } },
    };
    const asB = { authorization: `Bearer ${KEY_B}` };
    for (const r of idRoutes) {
      const answer = await call(r.method, pathOf(r.url), asB, bodies[`${r.method} ${r.url}`]);
      const at = `${r.method} ${r.url} -> ${answer.status} ${answer.text.slice(0, 200)}`;
      expect(answer.text, at).not.toContain(EMAIL_A);
      expect(answer.text, at).not.toContain(SEGMENT_A_NAME);
      if (isPut(r)) {
        // A PUT writes tenant B's own segment of that ID, beside A's.
        expect(answer.status, at).toBe(200);
        expect(answer.json.name, at).toBe('Segment of tenant B');
      } else {
        expect(answer.status, at).toBe(404);
        expect(answer.text, at).not.toContain(profileId);
      }
    }
    expect((await call('DELETE', `/v1/segments/${SEGMENT_A}`, asB)).status).toBe(200);
    // Tenant A's profile and segment are as they were.
    const profile = await call('GET', `/v1/profiles/${profileId}`, { authorization: `Bearer ${KEY_A}` });
    expect(profile.status).toBe(200);
    expect(profile.json.emails).toContain(EMAIL_A);
    const segment = await call('GET', `/v1/segments/${SEGMENT_A}`, { authorization: `Bearer ${KEY_A}` });
    expect(segment.status).toBe(200);
    expect(segment.json.name).toBe(SEGMENT_A_NAME);
    // Nor does a list of tenant B hold anything of A.
    for (const r of privateRoutes().filter((x) => x.method === 'GET' && !x.url.includes(':'))) {
      const answer = await call('GET', r.url, asB);
      expect(answer.status, r.url).toBeLessThan(500);
      for (const secret of [EMAIL_A, profileId, SEGMENT_A_NAME]) expect(answer.text, `${r.url} holds ${secret}`).not.toContain(secret);
    }
  });

  it('answers the public routes without a key', async () => {
    const publicRoutes = routes.filter((r) => isPublicRoute(r.url));
    expect(publicRoutes.map((r) => r.url)).toEqual(expect.arrayContaining(['/healthz', '/metrics', '/docs', '/docs/json', '/docs/static/*']));
    for (const r of publicRoutes) {
      const answer = await call(r.method, pathOf(r.url));
      // /docs answers a redirect to /docs/static/index.html in some versions of Swagger UI.
      expect([200, 302], `${r.method} ${r.url} -> ${answer.status} ${answer.text.slice(0, 200)}`).toContain(answer.status);
    }
    expect((await call('GET', '/metrics')).text).toMatch(/^# HELP /m);
    expect((await call('GET', '/healthz')).json).toMatchObject({ status: 'ok' });
  });
});

describe('the /metrics setting', () => {
  const key = 'key_metrics_tenant_0001';
  const server = (metricsPublic?: boolean) =>
    createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      apiKeys: [{ key, tenantId: 'tenant_m' }],
      keyStore: null,
      maxBodyBytes: 1_000_000,
      isReady: () => true,
      ...(metricsPublic === undefined ? {} : { metricsPublic }),
    });

  it('is public by default, from C360_METRICS_PUBLIC', async () => {
    expect(loadConfig({}).metricsPublic).toBe(true);
    expect(loadConfig({ C360_METRICS_PUBLIC: 'false' }).metricsPublic).toBe(false);
    expect(() => loadConfig({ C360_METRICS_PUBLIC: 'maybe' })).toThrow(/C360_METRICS_PUBLIC/);
    const app = server();
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('needs a key, however spelled, when not public', async () => {
    const app = server(false);
    try {
      for (const url of ['/metrics', '/%6detrics', '/metric%73']) {
        const keyless = await app.inject({ method: 'GET', url });
        expect(keyless.statusCode, url).toBe(401);
        expect(keyless.body, url).not.toMatch(/# HELP/);
        expect((await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })).statusCode, url).toBe(200);
      }
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
