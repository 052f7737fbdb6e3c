/**
 * What a pipeline step returns: it never throws for bad input.
 * A thrown error means a retriable failure (a database down) and the batch is retried.
 */
export type StepResult<T> =
  | { type: 'ok'; value: T }
  | { type: 'dlq'; reason: string; step: string; error?: unknown }
  | { type: 'drop'; reason: string; step: string };

export function ok<T>(value: T): StepResult<T> {
  return { type: 'ok', value };
}

export function dlq<T = never>(step: string, reason: string, error?: unknown): StepResult<T> {
  return { type: 'dlq', step, reason, error };
}

export function drop<T = never>(step: string, reason: string): StepResult<T> {
  return { type: 'drop', step, reason };
}

/**
 * Runs the next step only when the previous one was ok. (Not named `then`: a module exporting
 * `then` is a thenable, and awaiting its dynamic import never settles.)
 */
export async function andThen<T, U>(result: StepResult<T>, next: (value: T) => Promise<StepResult<U>> | StepResult<U>): Promise<StepResult<U>> {
  return result.type === 'ok' ? next(result.value) : result;
}
