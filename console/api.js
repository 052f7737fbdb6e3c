// Talking to the Customer 360 API: the key in sessionStorage, the Authorization header on
// every call, JSON in and out, and errors turned into ApiError with a message for a person.

const STORAGE_KEY = 'c360.console.key';
const NO_ANSWER = 'the server did not answer';

let onUnauthorized = () => {};

/** The key of this browser tab, or null. Kept in sessionStorage only. */
export function getKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function setKey(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function clearKey() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage unavailable: nothing to clear */
  }
}

/** Called when any call answers 401 after sign-in (the app signs out). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** An API answer that was not a success. `status` is 0 when the server did not answer. */
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
}

export const isAbort = (err) => err?.name === 'AbortError';

async function send(method, path, { body, signal, key = getKey() } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, NO_ANSWER);
  }
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function failure(response, signedIn) {
  const body = await readJson(response).catch(() => null);
  if (response.status === 401 && signedIn) onUnauthorized();
  const message = typeof body?.message === 'string' && body.message
    ? body.message
    : `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return new ApiError(response.status, message, body);
}

/**
 * A JSON call. Resolves to the parsed answer; rejects with ApiError (or an AbortError when
 * `signal` aborts). `options.key` overrides the stored key (used by sign-in).
 */
export async function request(method, path, options = {}) {
  const signedIn = options.key === undefined;
  const response = await send(method, path, options);
  if (!response.ok) throw await failure(response, signedIn);
  return readJson(response);
}

/** A call whose answer is a file: resolves to a Blob. */
export async function requestBlob(path, options = {}) {
  const response = await send('GET', path, options);
  if (!response.ok) throw await failure(response, true);
  try {
    return await response.blob();
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, NO_ANSWER);
  }
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });

/** A path segment, escaped. */
export const seg = (value) => encodeURIComponent(String(value));

/** Runs `fn` over `items` with at most `limit` at a time; resolves when all are done. */
export async function eachLimited(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
