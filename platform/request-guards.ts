/**
 * Checks of a request's input that hold for every route, so no handler meets input it cannot
 * use and no bad request ends as a 500: a query parameter given twice (a handler expecting a
 * string would get an array), a NUL character (Postgres text cannot hold one), a value far
 * longer than any identifier, a JSON body nested so deep that walking it (JSON.stringify, a
 * recursive copy) runs out of stack. Each answers the reason, for a 400.
 */

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;
/** Longest query parameter value (and name), in characters. */
export const MAX_QUERY_VALUE_LENGTH = 2048;

/**
 * Whether a JSON text nests arrays and objects deeper than `max` levels: one pass over the
 * text, brackets inside strings not counted. Malformed text is left to the JSON parser.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** An error Fastify's error handler answers as 400 with its message. */
export function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/** A name from the request, quoted and shortened, for a message. */
const named = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);

/**
 * Why the query parameters or the path parameters of a request cannot be used as input, or
 * null. The query is Fastify's parsed query string: a parameter given more than once is an array.
 */
export function inputProblem(query: unknown, params: unknown): string | null {
  if (query && typeof query === 'object') {
    for (const [name, value] of Object.entries(query)) {
      if (name.includes('\u0000')) return 'a query parameter name holds a NUL character (%00)';
      if (name.length > MAX_QUERY_VALUE_LENGTH) return `a query parameter name is longer than ${MAX_QUERY_VALUE_LENGTH} characters`;
      if (Array.isArray(value)) return `query parameter ${named(name)} is given more than once; give it once`;
      if (typeof value !== 'string') continue;
      if (value.includes('\u0000')) return `query parameter ${named(name)} holds a NUL character (%00)`;
      if (value.length > MAX_QUERY_VALUE_LENGTH) return `query parameter ${named(name)} is longer than ${MAX_QUERY_VALUE_LENGTH} characters`;
    }
  }
  if (params && typeof params === 'object') {
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && value.includes('\u0000')) return `path parameter ${named(name)} holds a NUL character (%00)`;
    }
  }
  return null;
}
