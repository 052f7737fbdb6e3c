/**
 * Bad requests at every route the server registers, read API and ingest alike, with a valid
 * key: repeated and odd query parameters, NUL characters, oversized values, bodies nested
 * thousands of levels deep, wrong content types, IDs that are not IDs, limits and cursors out
 * of range. First a sweep of known-bad inputs over every route, then a property-based fuzz.
 * Zero 5xx, and every refusal says why in JSON.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { withRoutes, type RegisteredRoute } from './support/routes.ts';
import { rawRequest, type RawAnswer } from './support/raw-request.ts';

const MAX_BODY = 256 * 1024;
const SEGMENT_ID = 'fuzz-seg';

interface Attempt {
  method: string;
  path: string;
  contentType?: string;
  body?: string;
}

/** A JSON text nested `depth` levels deep. */
const nested = (depth: number, open = '[', close = ']', inner = '1') => open.repeat(depth) + inner + close.repeat(depth);
const deepObject = (depth: number) => nested(depth, '{"a":', '}');
/** A timeline cursor as the server writes it (base64url JSON), holding anything. */
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const QUERY_KEYS = ['email', 'phone', 'auth_user_id', 'anonymous_id', 'source', 'source_record_id', 'include_deleted', 'limit', 'before', 'after', 'format', 'channel'];
const ODD_QUERIES = [
  ...['email', 'auth_user_id', 'limit', 'format', 'channel', 'before', 'after', 'source', 'x'].map((k) => `${k}=a&${k}=b`),
  'email=a%40b.test&email=c%40d.test',
  'source=crm&source=pos&source_record_id=1',
  'limit=1&limit=2&limit=3',
  'email[]=a',
  'email[a]=b',
  '__proto__=x',
  '__proto__[x]=1',
  'constructor=x&prototype=y',
  'auth_user_id=%00',
  'email=%00',
  'phone=%00',
  'anonymous_id=a%00b',
  'source=crm&source_record_id=%00',
  'x=%00',
  '%00=1',
  'format=%00',
  'before=%00',
  `email=${'a'.repeat(3000)}%40b.test`,
  `auth_user_id=${'x'.repeat(5000)}`,
  `limit=${'9'.repeat(3000)}`,
  `${'k'.repeat(3000)}=1`,
  'limit=1e308',
  'limit=-1',
  'limit=0',
  'limit=1.5',
  'limit=NaN',
  'limit=99999999999999999999',
  'limit=0x10',
  `before=${cursor([1e308, 'x'])}`,
  `before=${cursor([-1e300, 'x'])}`,
  `before=${cursor([8.64e15 + 1, 'x'])}`,
  `before=${cursor([0, 'a\u0000b'])}`,
  `before=${cursor([0, 'x'.repeat(2000)])}`,
  `before=${cursor([0.5, 'x'])}`,
  'before=!!!',
  'after=not-a-uuid',
  'after=00000000-0000-0000-0000-00000000000g',
  'format=xml',
  'format=csv&channel=fax',
  'include_deleted=true&include_deleted=false',
  'email=%E0%A4%A',
  'email=%',
  'a=1&&&b=2&=3',
  '',
];
const ODD_IDS = ['not-a-uuid', '%00', 'a%00b', 'x'.repeat(99), '%FF%FE', '00000000-0000-0000-0000-000000000000', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ', '%2e%2e', '-1', 'fuzz%2Fseg', '%20', 'NULL', '1%27%3B%20DROP%20TABLE%20profiles%3B%20--'];
const ODD_BODIES: Omit<Attempt, 'method' | 'path'>[] = [
  { contentType: 'application/json', body: nested(10_000) },
  { contentType: 'application/json', body: deepObject(10_000) },
  { contentType: 'application/json', body: nested(65) },
  { contentType: 'application/json', body: `{"batch":[${nested(3000, '{"context":', '}', '{}')}]}` },
  { contentType: 'application/json', body: `{"type":"track","userId":"u","event":"e","properties":${deepObject(5000)}}` },
  { contentType: 'application/json', body: `[{"email":"a@b.test","event":"open","timestamp":1,"x":${nested(5000)}}]` },
  { contentType: 'application/json', body: `{"rule":${deepObject(5000)},"segment_id":"deep","name":"d"}` },
  { contentType: 'application/json', body: `{"entries":[{"type":"email","value":"a\\u0000@b.test"}]}` },
  { contentType: 'application/json', body: `{"entries":[{"type":"phone","value":"+1 415 555 0100","reason":"\\u0000"}]}` },
  { contentType: 'application/json', body: `{"query":"SELECT '\\u0000'"}` },
  { contentType: 'application/json', body: `{"scope":"email","status":"granted","reason":"\\u0000","occurred_at":"\\u0000"}` },
  { contentType: 'application/json', body: `{"merged_id":"\\u0000","reason":"\\u0000"}` },
  { contentType: 'application/json', body: `{"segment_id":"nul","name":"\\u0000","rule":{"all":[{"field":"first_name","op":"=","value":"\\u0000"}]}}` },
  { contentType: 'application/json', body: `{"default_region":"\\u0000","identifier_sharing_limits":{"phone":1e308}}` },
  { contentType: 'application/json', body: `{"rules":{"first_name":{"strategy":"\\u0000"}}}` },
  { contentType: 'application/json', body: `{"userId":"\\u0000","type":"identify","traits":{"email":"\\u0000"}}` },
  { contentType: 'application/json', body: '1' },
  { contentType: 'application/json', body: '"text"' },
  { contentType: 'application/json', body: 'null' },
  { contentType: 'application/json', body: '[]' },
  { contentType: 'application/json', body: 'true' },
  { contentType: 'application/json', body: '{"__proto__":{"x":1}}' },
  { contentType: 'application/json', body: '{"constructor":{"prototype":{"x":1}}}' },
  { contentType: 'application/json', body: '{"a":' },
  { contentType: 'application/json', body: '' },
  { contentType: 'application/json', body: `{"query":"${'x'.repeat(MAX_BODY)}"}` },
  { contentType: 'application/json; charset=utf-16', body: '{}' },
  { contentType: 'text/plain', body: 'hello' },
  { contentType: 'text/plain', body: nested(10_000) },
  { contentType: 'application/x-www-form-urlencoded', body: 'MessageSid=a&MessageSid=b&From=%00&To=x&To=y' },
  { contentType: 'application/x-www-form-urlencoded', body: `MessageSid=SM1&From=${'1'.repeat(MAX_BODY / 2)}` },
  { contentType: 'application/x-www-form-urlencoded', body: 'a[b][c][d]=1&__proto__=x' },
  { contentType: 'multipart/form-data; boundary=x', body: '--x\r\n\r\n--x--' },
  { contentType: 'application/xml', body: '<a/>' },
  { contentType: '', body: '{}' },
];

/** The path of a route with each parameter replaced by `id` (a wildcard by a file name). */
const pathOf = (url: string, id: string) => url.replace(/:[A-Za-z0-9_]+/g, id).replace(/\*$/, 'openapi.yaml');

/** What is wrong with an answer: a 5xx, or a refusal that does not say why in JSON. */
function problemOf(attempt: Attempt, answer: RawAnswer): string | null {
  const at = `${attempt.method} ${attempt.path.slice(0, 160)} [${attempt.contentType ?? '-'}] ${String(attempt.body ?? '').slice(0, 120)} -> ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) return at;
  if (answer.status < 400 || attempt.method === 'HEAD') return null;
  const json = answer.json as { message?: unknown; results?: { status: string; errors?: unknown[] }[] } | undefined;
  if (!json || typeof json !== 'object') return `not JSON: ${at}`;
  // A refusal says why: a message, or (ingest) per-record errors.
  const explained = (typeof json.message === 'string' && json.message.length > 0) || (Array.isArray(json.results) && json.results.every((r) => r.status === 'accepted' || (r.errors?.length ?? 0) > 0));
  return explained ? null : `no reason given: ${at}`;
}

describe('every route under bad requests', () => {
  let t: TestRuntime;
  let routes: RegisteredRoute[];
  let profileId: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let requests = 0;
  let serverErrors = 0;

  const send = async (attempt: Attempt): Promise<RawAnswer> => {
    const options = {
      method: attempt.method,
      path: attempt.path,
      agent,
      headers: { authorization: `Bearer ${KEY_A}`, ...(attempt.contentType ? { 'content-type': attempt.contentType } : {}) },
      body: attempt.body,
    };
    requests++;
    let answer: RawAnswer;
    try {
      answer = await rawRequest(t.url, options);
    } catch (error) {
      // A kept-alive connection the server closed after refusing a body it did not read.
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && (error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      answer = await rawRequest(t.url, { ...options, agent: undefined });
    }
    if (answer.status >= 500) serverErrors++;
    return answer;
  };

  beforeAll(async () => {
    const { started, routes: registered } = await withRoutes(() => startTestRuntime({ maxBodyBytes: MAX_BODY }), (rt) => rt.runtime.app);
    t = started;
    routes = registered;
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'api-fuzz-1', source: 'crm', type: 'contact_created', occurred_at: '2026-03-01T10:00:00Z', identity: { email: 'fuzz@mail.test', auth_user_id: 'fuzz-1' } },
      { event_id: 'api-fuzz-2', source: 'pos', type: 'order_completed', occurred_at: '2026-03-02T10:00:00Z', identity: { email: 'fuzz@mail.test' }, properties: { order_id: 'f1', total_minor: 100, currency: 'USD' } },
    ]);
    expect((await t.request('POST', '/v1/segments', KEY_A, { segment_id: SEGMENT_ID, name: 'Fuzz', rule: { all: [{ field: 'total_revenue', op: '>=', value: 0 }] } })).status).toBe(200);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=fuzz%40mail.test', KEY_A);
      return r.status === 200 ? r : null;
    }, 30_000, 'the fuzz profile');
    profileId = profile.body.customer360_id;
  });
  afterAll(async () => {
    console.log(`api-fuzz: ${requests} requests over ${routes?.length ?? 0} routes, ${serverErrors} answered 5xx`);
    agent.destroy();
    await t?.stop();
  });

  /** The ID a route gets: tenant A's real profile or segment (never for an erase), else an odd one. */
  const realIdOf = (route: RegisteredRoute) => (route.url.startsWith('/v1/segments/') ? SEGMENT_ID : route.url.endsWith('/erase') ? '00000000-0000-4000-8000-000000000001' : profileId);

  it('refuses every known-bad input on every route with a 4xx that says why', async () => {
    const attempts: Attempt[] = [];
    for (const route of routes) {
      const path = pathOf(route.url, realIdOf(route));
      for (const query of ODD_QUERIES) attempts.push({ method: route.method, path: `${path}?${query}` });
      // Longer than Node's limit of the request head: 431 before Fastify sees it (whose answer
      // has a body even to HEAD, which an HTTP client cannot read, so not for HEAD).
      if (route.method !== 'HEAD') attempts.push({ method: route.method, path: `${path}?x=${'a'.repeat(20_000)}` });
      if (route.url.includes(':')) for (const id of ODD_IDS) attempts.push({ method: route.method, path: pathOf(route.url, id) });
      if (route.method !== 'GET' && route.method !== 'HEAD') for (const body of ODD_BODIES) attempts.push({ method: route.method, path, ...body });
    }
    const problems: string[] = [];
    for (let i = 0; i < attempts.length; i += 8) {
      const batch = attempts.slice(i, i + 8);
      const answers = await Promise.all(batch.map(send));
      for (const [j, answer] of answers.entries()) {
        const problem = problemOf(batch[j]!, answer);
        if (problem) problems.push(problem);
      }
    }
    console.log(`api-fuzz sweep: ${attempts.length} requests, ${problems.length} problems`);
    expect(attempts.length).toBeGreaterThan(2000);
    expect(problems).toEqual([]);
  }, 180_000);

  it('answers the refusals the campaign found with 400 and the reason', async () => {
    const cases: [Attempt, number, RegExp][] = [
      [{ method: 'GET', path: '/v1/profiles?email=a&email=b' }, 400, /email.*more than once/],
      [{ method: 'GET', path: '/v1/profiles?auth_user_id=%00' }, 400, /NUL/],
      [{ method: 'GET', path: `/v1/profiles/${profileId}%00` }, 400, /NUL/],
      [{ method: 'GET', path: `/v1/profiles?auth_user_id=${'x'.repeat(5000)}` }, 400, /longer than/],
      [{ method: 'POST', path: '/v1/events', contentType: 'application/json', body: nested(10_000) }, 400, /nested deeper than 64 levels/],
      [{ method: 'POST', path: '/v1/identify', contentType: 'application/json', body: `{"userId":"u","traits":${deepObject(10_000)}}` }, 400, /nested deeper than 64 levels/],
      [{ method: 'POST', path: '/v1/batch', contentType: 'application/json', body: `{"batch":[${deepObject(10_000)}]}` }, 400, /nested deeper than 64 levels/],
      [{ method: 'POST', path: '/v1/track', contentType: 'application/json', body: `{"userId":"u","event":"e","properties":${deepObject(10_000)}}` }, 400, /nested deeper than 64 levels/],
      [{ method: 'POST', path: '/v1/events', contentType: 'application/json', body: `{"events":[],"x":"${'x'.repeat(MAX_BODY)}"}` }, 413, /larger than/],
      [{ method: 'GET', path: `/v1/profiles/${profileId}/timeline?before=${cursor([1e308, 'x'])}` }, 400, /before/],
      [{ method: 'GET', path: `/v1/profiles/${profileId}/timeline?before=${cursor([-5e12, 'x'])}` }, 400, /before/],
      [{ method: 'POST', path: '/v1/messaging/email-events', contentType: 'application/json', body: `[${deepObject(10_000)}]` }, 400, /nested deeper than 64 levels/],
      [{ method: 'PUT', path: '/v1/identity/settings', contentType: 'text/plain', body: 'hello' }, 400, /JSON object/],
    ];
    for (const [attempt, status, message] of cases) {
      const answer = await send(attempt);
      expect(answer.status, `${attempt.method} ${attempt.path.slice(0, 100)} -> ${answer.text.slice(0, 200)}`).toBe(status);
      expect(answer.json?.message, attempt.path.slice(0, 100)).toMatch(message);
    }
    // The review queue's limit is lenient, as documented: a fraction is rounded down.
    expect((await send({ method: 'GET', path: '/v1/identity/review?limit=1.5' })).status).toBe(200);
    // Nesting up to the limit is still accepted, strings holding brackets do not count.
    const shallow = await send({ method: 'POST', path: '/v1/track', contentType: 'application/json', body: `{"userId":"u-deep","event":"e","messageId":"deep-ok","properties":{"p":${nested(60)},"s":"${'['.repeat(200)}"}}` });
    expect(shallow.status, shallow.text).toBe(200);
  });

  it('never answers 5xx to random requests at random routes', async () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('\u0000', 'a\u0000', '%', '1e308', '-1', '0', 'NaN', '99999999999999999999', 'true', 'crm', 'csv', 'email', cursor([1e308, 'x']), cursor([0, '\u0000'])),
      fc.uuid(),
      fc.string({ minLength: 2000, maxLength: 4000 }),
    );
    // Percent-encoded as UTF-8; a lone surrogate becomes U+FFFD (encodeURIComponent refuses one).
    const encode = (s: string) => encodeURIComponent(Buffer.from(s).toString('utf8'));
    const rawValue = fc.constantFrom('%FF', '%E0%A4%A', '%', '%00', '%2500', '+', '%2B%00');
    const value = fc.oneof(anyText.map(encode), rawValue);
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), anyText.map(encode), rawValue), value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    const id = fc.oneof(fc.constant('REAL'), fc.uuid(), anyText.map((s) => encode(s).slice(0, 120)), fc.constantFrom(...ODD_IDS));
    const jsonBody = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.constantFrom('scope', 'status', 'merged_id', 'reason', 'query', 'segment_id', 'name', 'rule', 'rules', 'entries', 'default_region', 'email_provider_rules', 'identifier_sharing_limits', 'userId', 'type', 'event', 'batch', 'events', 'MessageSid', 'From'), fc.oneof(anyText, fc.jsonValue({ maxDepth: 3 }))).map((v) => JSON.stringify(v)),
      fc.integer({ min: 1, max: 12_000 }).map((depth) => nested(depth)),
      fc.integer({ min: 1, max: 12_000 }).map((depth) => `{"rule":${deepObject(depth)}}`),
      fc.string({ maxLength: 60 }),
    );
    const contentType = fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', '', 'application/octet-stream', 'application/json; charset=latin1');
    const attempt = fc.record({ route: fc.constantFrom(...routes), id, query, contentType, body: fc.option(jsonBody, { nil: undefined }) });
    // Every problem is collected (no shrinking: a server call per step would take minutes); the
    // seed is printed so that a failing run can be repeated with it.
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    const problems: string[] = [];
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(attempt, async ({ route, id: rawId, query: q, contentType: type, body }) => {
        runs++;
        const value = rawId === 'REAL' ? realIdOf(route) : rawId;
        // Within Node's limit of the request head (16 KiB); the sweep sends longer ones.
        const path = `${pathOf(route.url, value)}${q ? `?${q}` : ''}`.slice(0, 12_000);
        const a: Attempt = { method: route.method, path, ...(body !== undefined ? { body, contentType: type } : {}) };
        try {
          const problem = problemOf(a, await send(a));
          if (problem) problems.push(problem);
        } catch (error) {
          problems.push(`no answer: ${a.method} ${a.path.slice(0, 160)}: ${(error as Error).message}`);
        }
      }),
      { numRuns: 2500, seed },
    );
    console.log(`api-fuzz random: ${runs} requests (seed ${seed}), ${problems.length} problems`);
    expect(runs).toBeGreaterThanOrEqual(2500);
    expect(problems).toEqual([]);
    expect((await t.request('GET', '/healthz', null)).status).toBe(200);
  }, 240_000);
});
