/**
 * Sending batches of envelopes to POST /v1/events: tries again with capped exponential backoff
 * and jitter when the server answers 429, 503 or another 5xx or cannot be reached, waiting at
 * least its Retry-After; halves a batch the server finds too large (413).
 *
 * platform/retry.ts's withRetry does not fit a client: it retries thrown errors without a limit
 * of tries, cannot be aborted, and knows no Retry-After; the backoff here is the same curve
 * (doubling from the first wait up to a cap, times 0.5 to 1 of jitter).
 */
import { maskPersonalData } from '../../platform/logger.ts';
import type { FieldError } from '../../schemas/from-json.ts';
import { sleep } from './sleep.ts';
import { ImportError, type Envelope } from './types.ts';

export interface RecordAnswer {
  status: 'accepted' | 'rejected';
  errors?: FieldError[];
}

export interface Sender {
  /** The server's answer for each envelope; `rows` ("first-last") names them in messages. */
  send(envelopes: Envelope[], rows: string): Promise<RecordAnswer[]>;
}

export interface SenderOptions {
  url: string;
  apiKey: string;
  maxAttempts: number;
  retryBaseMs: number;
  requestTimeoutMs: number;
  signal?: AbortSignal;
  onRetry?: (message: string) => void;
}

const MAX_BACKOFF_MS = 30_000;

/** The wait before try `attempt` (2 or more): doubled each try from `baseMs`, capped, with jitter. */
const backoffMs = (attempt: number, baseMs: number) => Math.min(baseMs * 2 ** (attempt - 2), MAX_BACKOFF_MS) * (0.5 + Math.random() / 2);

/** Retry-After in seconds or as an HTTP date, in ms; capped at two minutes. */
function retryAfterMs(header: string | null): number {
  if (!header) return 0;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 120_000) : 0;
}

/** The answers of a 200 or 400 with per-record results; a record the server left out is rejected. */
function answersOf(results: { index?: number; status?: string; errors?: FieldError[] }[], count: number): RecordAnswer[] {
  const answers: RecordAnswer[] = Array.from({ length: count }, () => ({ status: 'rejected', errors: [{ path: '/', message: 'the server gave no answer for this record' }] }));
  for (const result of results) {
    if (typeof result.index !== 'number' || result.index < 0 || result.index >= count) continue;
    answers[result.index] = result.status === 'accepted' ? { status: 'accepted' } : { status: 'rejected', errors: Array.isArray(result.errors) ? result.errors : [] };
  }
  return answers;
}

async function bodyOf(response: Response): Promise<{ results?: unknown; message?: unknown } | null> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text) as { results?: unknown; message?: unknown } | null;
  } catch {
    return null;
  }
}

export function createSender(options: SenderOptions): Sender {
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/events`;

  async function post(envelopes: Envelope[], rows: string): Promise<RecordAnswer[] | 'too_large'> {
    let problem = '';
    let waitMs = 0;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (attempt > 1) {
        const delay = Math.max(waitMs, backoffMs(attempt, options.retryBaseMs));
        options.onRetry?.(`${problem}; sending rows ${rows} again in ${(delay / 1000).toFixed(1)} s (try ${attempt} of ${options.maxAttempts})`);
        await sleep(delay, options.signal);
      }
      waitMs = 0;
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: envelopes }),
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        problem = `the server at ${options.url} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message})`;
        continue;
      }
      const body = await bodyOf(response);
      const message = typeof body?.message === 'string' ? `: ${maskPersonalData(body.message)}` : '';
      if ((response.status === 200 || response.status === 400) && Array.isArray(body?.results)) {
        return answersOf(body.results as { index?: number; status?: string; errors?: FieldError[] }[], envelopes.length);
      }
      if (response.status === 401 || response.status === 403) {
        throw new ImportError(`the server refused the API key (${response.status}${message}); pass --key or set C360_API_KEY`);
      }
      if (response.status === 413) return 'too_large';
      if (response.status === 429 || response.status === 503 || response.status >= 500) {
        waitMs = retryAfterMs(response.headers.get('retry-after'));
        problem = `the server answered ${response.status}${message}`;
        continue;
      }
      throw new ImportError(`the server refused rows ${rows} with ${response.status}${message}`);
    }
    throw new ImportError(`rows ${rows} were not accepted after ${options.maxAttempts} tries: ${problem}`);
  }

  async function send(envelopes: Envelope[], rows: string): Promise<RecordAnswer[]> {
    const answers = await post(envelopes, rows);
    if (answers !== 'too_large') return answers;
    // Too large a body: send the halves, down to single records.
    if (envelopes.length === 1) return [{ status: 'rejected', errors: [{ path: '/', message: 'the record is larger than the server takes in one request' }] }];
    const half = Math.ceil(envelopes.length / 2);
    return [...(await send(envelopes.slice(0, half), rows)), ...(await send(envelopes.slice(half), rows))];
  }

  return { send };
}
