/**
 * The state of a running stage, for /healthz and /metrics: idle, running a batch (since it
 * started), retrying a failure of an engine (since the first failure, how many attempts, the
 * last error), or stopped; and when it last finished a batch. A stage retrying, or in one
 * batch, for longer than the threshold makes the process degraded: its events wait, every
 * tenant's alike.
 */
import type { Metrics } from './metrics.ts';
import { describeFailure } from './failures.ts';

export type StageState = 'idle' | 'running' | 'retrying' | 'stopped';

export interface StageStatus {
  state: StageState;
  /** When the stage entered the state (ms since the epoch): the batch's start; for retrying, the first failure. */
  since: number;
  /** Failed attempts of the current retry; 0 unless retrying. */
  attempts: number;
  /** The last failure's message while retrying; null otherwise. */
  error: string | null;
  /** When the stage last finished a batch, or started (ms since the epoch). */
  lastProgressAt: number;
}

/** A stage's status as /healthz shows it. */
export interface StageReport {
  state: StageState;
  since: string;
  attempts: number;
  error: string | null;
  last_progress_at: string;
}

export interface StageHealth {
  status(): StageStatus;
  /** A batch went into the stage. */
  batchStarted(): void;
  /** An attempt failed on an engine and is retried. */
  retrying(error: unknown): void;
  /** An attempt after failed ones went through: running again. */
  recovered(): void;
  /** A batch was finished (its outputs written). */
  progressed(): void;
  idle(): void;
  stopped(): void;
}

export function createStageHealth(stage: string, metrics: Metrics, now: () => number = Date.now): StageHealth {
  const started = now();
  let status: StageStatus = { state: 'idle', since: started, attempts: 0, error: null, lastProgressAt: started };
  const labels = { stage };
  const gauges = () => {
    metrics.stageRetrying.set(labels, status.state === 'retrying' ? 1 : 0);
    metrics.stageRetryAttempts.set(labels, status.attempts);
    metrics.stageLastProgress.set(labels, status.lastProgressAt / 1000);
  };
  const enter = (state: StageState) => {
    status = { ...status, state, since: now(), attempts: 0, error: null };
    gauges();
  };
  gauges();
  return {
    status: () => ({ ...status }),
    batchStarted: () => enter('running'),
    retrying(error) {
      const since = status.state === 'retrying' ? status.since : now();
      status = { ...status, state: 'retrying', since, attempts: status.attempts + 1, error: describeFailure(error) };
      gauges();
    },
    recovered() {
      if (status.state === 'retrying') enter('running');
    },
    progressed() {
      status = { ...status, lastProgressAt: now() };
      gauges();
    },
    idle: () => enter('idle'),
    stopped: () => enter('stopped'),
  };
}

export interface StagesHealth {
  /** A stage has been retrying for longer than the threshold. */
  degraded: boolean;
  stages: Record<string, StageReport>;
}

/**
 * The stages of a process, each with its status; degraded when one has been retrying, or in
 * one batch, for `stuckAfterMs` or longer.
 */
export function stagesHealth(stages: { name: string; status(): StageStatus }[], stuckAfterMs: number, now = Date.now()): StagesHealth {
  const reports: Record<string, StageReport> = {};
  let degraded = false;
  for (const stage of stages) {
    const s = stage.status();
    if ((s.state === 'retrying' || s.state === 'running') && now - s.since >= stuckAfterMs) degraded = true;
    reports[stage.name] = {
      state: s.state,
      since: new Date(s.since).toISOString(),
      attempts: s.attempts,
      error: s.error,
      last_progress_at: new Date(s.lastProgressAt).toISOString(),
    };
  }
  return { degraded, stages: reports };
}
