/**
 * Whether a failure is an engine being down or overloaded (retry the same work later) or
 * something about the data (retrying the same message fails the same way: isolate it and send
 * it to the dead-letter topic). Only failures known to come from an engine are retriable:
 *
 * - errors flagged `retriable: true` (the transports' TransportUnavailableError, KafkaJS's
 *   retriable errors, the resolver's contention errors); `retriable: false` is a data failure,
 *   except KafkaJS's "number of retries exceeded", which wraps a retriable cause;
 * - Postgres errors of the classes 08 (connection), 53 (insufficient resources), 57 (operator
 *   intervention: shutdown, cancel), 58 (system I/O), and 40001, 40P01, 55P03, 25006 (a
 *   serialization failure, a deadlock, a lock not available, a read-only standby after a failover);
 * - ClickHouse server errors of overload, timeouts and the network (MEMORY_LIMIT_EXCEEDED,
 *   TOO_MANY_SIMULTANEOUS_QUERIES, TIMEOUT_EXCEEDED, ...);
 * - network errors of Node (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...), the messages of node-postgres
 *   and @clickhouse/client for a lost or timed-out connection, and HTTP answers 5xx and 429 of
 *   a server (the Schema Registry);
 * - any of these as the cause of another error (fetch's "fetch failed" TypeError, a wrapper).
 *
 * Everything else (a TypeError or RangeError of the code on a value it did not expect, a
 * Postgres data or constraint error of classes 22 or 23, a ClickHouse parse error) is a data failure.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN',
  'ECONNABORTED', 'EADDRNOTAVAIL', 'ESOCKETTIMEDOUT', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

const POSTGRES_CLASSES = new Set(['08', '53', '57', '58']);
const POSTGRES_CODES = new Set(['40001', '40P01', '55P03', '25006']);

const CLICKHOUSE_TYPES = new Set([
  'TIMEOUT_EXCEEDED', 'SOCKET_TIMEOUT', 'NETWORK_ERROR', 'MEMORY_LIMIT_EXCEEDED', 'TOO_MANY_SIMULTANEOUS_QUERIES', 'NO_FREE_CONNECTION',
  'TABLE_IS_READ_ONLY', 'READONLY', 'TOO_MANY_PARTS', 'TOO_FEW_LIVE_REPLICAS', 'UNKNOWN_STATUS_OF_INSERT', 'KEEPER_EXCEPTION',
  'ALL_CONNECTION_TRIES_FAILED', 'ALL_REPLICAS_ARE_STALE', 'UNEXPECTED_END_OF_FILE', 'CANNOT_SCHEDULE_TASK', 'QUERY_WAS_CANCELLED',
  'ABORTED', 'SERVER_OVERLOADED',
]);

/** Messages of node-postgres, pg-pool and @clickhouse/client for a connection lost or not made. */
const CONNECTION_MESSAGES =
  /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|cannot use a pool after calling end|socket hang up|^timeout error\.?$|the database system is (starting up|shutting down|in recovery mode)/i;

const KAFKA_RETRIES_EXCEEDED = 'KafkaJSNumberOfRetriesExceeded';

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  severity?: unknown;
  status?: unknown;
  statusCode?: unknown;
  response?: { status?: unknown } | null;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

const serverBusy = (status: unknown) => typeof status === 'number' && (status >= 500 || status === 429);

/** What an error says of itself, without its causes: retriable, data, or nothing known. */
function ownVerdict(e: ErrorLike): 'retriable' | 'data' | null {
  if (e.retriable === true) return 'retriable';
  if (e.retriable === false) return e.name === KAFKA_RETRIES_EXCEEDED ? null : 'data';
  const code = typeof e.code === 'string' ? e.code : null;
  if (code !== null) {
    if (NETWORK_CODES.has(code)) return 'retriable';
    // A Postgres server error: a five-character SQLSTATE with a severity.
    if (code.length === 5 && typeof e.severity === 'string') return POSTGRES_CLASSES.has(code.slice(0, 2)) || POSTGRES_CODES.has(code) ? 'retriable' : 'data';
  }
  if (typeof e.type === 'string' && CLICKHOUSE_TYPES.has(e.type)) return 'retriable';
  if (serverBusy(e.status) || serverBusy(e.statusCode) || serverBusy(e.response?.status)) return 'retriable';
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return 'retriable';
  return null;
}

/** True when the failure is an engine down or overloaded: the same work should be retried. */
export function isRetriable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as ErrorLike;
  const verdict = ownVerdict(e);
  if (verdict !== null) return verdict === 'retriable';
  const causes = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return causes.some((cause) => isRetriable(cause, depth + 1));
}

/**
 * The error's name, message and Postgres SQLSTATE on one line, for a dead letter's reason and
 * the health answer.
 */
export function describeFailure(error: unknown, max = 500): string {
  const e = (error ?? {}) as ErrorLike;
  const name = typeof e.name === 'string' && e.name.toLowerCase() !== 'error' ? `${e.name}: ` : '';
  const sqlstate = typeof e.code === 'string' && e.code.length === 5 && typeof e.severity === 'string' ? ` (${e.code})` : '';
  const text = `${name}${typeof e.message === 'string' && e.message !== '' ? e.message : String(error)}${sqlstate}`.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
