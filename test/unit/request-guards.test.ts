import { describe, expect, it } from 'vitest';
import { MAX_QUERY_VALUE_LENGTH, inputProblem, nestedDeeperThan } from '../../platform/request-guards.ts';
import { isPublicRoute } from '../../platform/http.ts';

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestedDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestedDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestedDeeperThan('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(nestedDeeperThan('[{"a":[1]}]', 3)).toBe(false);
    expect(nestedDeeperThan(`{"s":"${'['.repeat(100)}"}`, 3)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    expect(nestedDeeperThan('["\\"[[[[["]', 3)).toBe(false);
    expect(nestedDeeperThan('["\\\\",[[[1]]]]', 3)).toBe(true);
    expect(nestedDeeperThan('[1],[2],[3],[4]', 1)).toBe(false);
  });

  it('takes one pass, however deep', () => {
    expect(nestedDeeperThan('['.repeat(1_000_000), 64)).toBe(true);
    expect(nestedDeeperThan(`"${'['.repeat(1_000_000)}`, 64)).toBe(false);
  });
});

describe('inputProblem', () => {
  it('refuses repeated, NUL-holding and oversized query parameters', () => {
    expect(inputProblem({ email: 'a@b.test', limit: '10' }, {})).toBeNull();
    expect(inputProblem({ email: ['a', 'b'] }, {})).toMatch(/"email" is given more than once/);
    expect(inputProblem({ auth_user_id: '\u0000' }, {})).toMatch(/"auth_user_id" holds a NUL/);
    expect(inputProblem({ 'a\u0000': 'x' }, {})).toMatch(/name holds a NUL/);
    expect(inputProblem({ q: 'x'.repeat(MAX_QUERY_VALUE_LENGTH) }, {})).toBeNull();
    expect(inputProblem({ q: 'x'.repeat(MAX_QUERY_VALUE_LENGTH + 1) }, {})).toMatch(/"q" is longer than 2048/);
    expect(inputProblem({ ['k'.repeat(5000)]: '1' }, {})).toMatch(/name is longer than/);
    // A long name is shortened in the message.
    expect(inputProblem({ ['k'.repeat(500)]: ['1', '2'] }, {})!.length).toBeLessThan(120);
  });

  it('refuses a NUL in a path parameter', () => {
    expect(inputProblem({}, { id: 'abc' })).toBeNull();
    expect(inputProblem({}, { id: 'a\u0000' })).toMatch(/path parameter "id" holds a NUL/);
  });
});

describe('isPublicRoute', () => {
  it('is the health check, the documentation and, when so configured, the metrics', () => {
    for (const url of ['/healthz', '/docs', '/docs/', '/docs/json', '/docs/static/*']) expect(isPublicRoute(url, false), url).toBe(true);
    expect(isPublicRoute('/metrics', true)).toBe(true);
    expect(isPublicRoute('/metrics', false)).toBe(false);
    for (const url of ['/v1/segments', '/docsx', '/healthz/x', '/v1/profiles/:id', undefined]) expect(isPublicRoute(url, true), String(url)).toBe(false);
  });
});
