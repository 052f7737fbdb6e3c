import type { Logger } from './logger.ts';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Stop retrying when this returns false (shutdown). */
  isRunning?: () => boolean;
  logger?: Logger;
  what: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Retries a retriable operation with capped exponential backoff and jitter until it succeeds
 * or the process stops. Errors flagged `retriable: false` are thrown at once.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  let delay = options.initialMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable !== false;
      const running = options.isRunning ? options.isRunning() : true;
      if (!retriable || !running) throw error;
      options.logger?.warn({ err: error, attempt, delayMs: delay }, `${options.what} failed, retrying`);
      await sleep(delay * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, options.maxMs);
    }
  }
}
