import type { Logger } from './logger.ts';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Stop retrying when this returns false (shutdown). */
  isRunning?: () => boolean;
  /** Which failures to retry; by default all but those flagged `retriable: false`. */
  isRetriable?: (error: unknown) => boolean;
  /** Told of each failure that is retried, before the wait. */
  onRetry?: (error: unknown, attempt: number) => void;
  logger?: Logger;
  what: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const notFlaggedFinal = (error: unknown) => (error as { retriable?: boolean } | null)?.retriable !== false;

/**
 * Retries a retriable operation with capped exponential backoff and jitter until it succeeds
 * or the process stops. A failure that is not retriable is thrown at once.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const retriable = options.isRetriable ?? notFlaggedFinal;
  let delay = options.initialMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const running = options.isRunning ? options.isRunning() : true;
      if (!retriable(error) || !running) throw error;
      options.onRetry?.(error, attempt);
      options.logger?.warn({ err: error, attempt, delayMs: delay }, `${options.what} failed, retrying`);
      await sleep(delay * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, options.maxMs);
    }
  }
}
