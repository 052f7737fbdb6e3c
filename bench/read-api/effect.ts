/**
 * Part 3 of the read API bench, order to effect: an order_completed for an existing customer
 * posted through POST /v1/events, then the profile polled until its revenue and LTV show it and
 * the segment (total_revenue >= 100) until its member count grows, `--trials` times.
 */
import type { Runtime } from '../../app/runtime.ts';
import { median, num, sleep, type Progress } from '../util.ts';
import type { Api } from './api.ts';
import { EFFECT_SEGMENT, POLL_MS, TENANT } from './constants.ts';
import { cpuMark, cpuShare, type CpuShare } from './cpu.ts';
import type { Options } from './options.ts';

const EFFECT_TIMEOUT_MS = 60_000;
const now = () => performance.timeOrigin + performance.now();

export interface EffectTrial {
  /** POST /v1/events answered (the order is durable). */
  ackMs: number;
  /** The profile's aggregates show the order: total_revenue and ltv. */
  revenueMs: number;
  /** GET /v1/segments/{id} counts the profile as a member. */
  segmentMs: number;
  profilePolls: number;
  segmentPolls: number;
  /** Median time of one GET /v1/segments/{id} while polling. */
  segmentPollMs: number;
  /** Median time of one GET /v1/profiles?email= while polling. */
  profilePollMs: number;
}

export interface EffectResult {
  label: string;
  warehouseProfiles: number;
  segmentCreateMs: number | null;
  trials: EffectTrial[];
  cpu: CpuShare;
}

/** Builds order_completed events of one bench run: IDs numbered from 1 on, unique within `nonce`. */
function orderEvents(nonce: string): (email: string, totalMinor: number) => object {
  let eventSeq = 0;
  return (email, totalMinor) => {
    eventSeq++;
    return {
      event_id: `bench-read-${nonce}-${eventSeq}`,
      source: 'pos',
      type: 'order_completed',
      occurred_at: new Date().toISOString(),
      identity: { email },
      properties: { order_id: `bench-read-o-${nonce}-${eventSeq}`, total_minor: totalMinor, currency: 'USD' },
    };
  };
}

async function postEvents(api: Api, events: unknown[]): Promise<void> {
  const r = await api.request('POST', '/v1/events', events);
  if (r.status !== 200 || r.body.accepted !== events.length) throw new Error(`POST /v1/events answered ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

async function segmentMembers(api: Api): Promise<number> {
  const r = await api.request('GET', `/v1/segments/${EFFECT_SEGMENT}`);
  if (r.status !== 200) throw new Error(`GET /v1/segments/${EFFECT_SEGMENT} answered ${r.status}`);
  return Number(r.body.members);
}

async function ensureEffectSegment(api: Api): Promise<number | null> {
  const existing = await api.request('GET', `/v1/segments/${EFFECT_SEGMENT}`);
  if (existing.status === 200) return null;
  const t0 = now();
  const created = await api.request('POST', '/v1/segments', {
    segment_id: EFFECT_SEGMENT,
    name: 'Spent 100 or more',
    priority: 10,
    rule: { all: [{ field: 'total_revenue', op: '>=', value: 100 }] },
  });
  if (created.status !== 200) throw new Error(`POST /v1/segments answered ${created.status}: ${JSON.stringify(created.body).slice(0, 400)}`);
  return now() - t0;
}

export interface EffectDeps {
  runtime: Runtime;
  api: Api;
  options: Options;
  progress: Progress;
  /** Tells this run's events and test people from those of other runs. */
  nonce: string;
}

export interface EffectMeasure {
  /** `--trials` orders for new people; `label` and `warehouseProfiles` describe the warehouse at the time. */
  measure(label: string, warehouseProfiles: number): Promise<EffectResult>;
}

/** The order-to-effect measure of one bench run: its event IDs stay unique across measures. */
export function createEffectMeasure(deps: EffectDeps): EffectMeasure {
  const orderEvent = orderEvents(deps.nonce);
  return { measure: (label, warehouseProfiles) => orderToEffect(deps, orderEvent, label, warehouseProfiles) };
}

async function orderToEffect(
  { runtime, api, options, progress, nonce }: EffectDeps,
  orderEvent: (email: string, totalMinor: number) => object,
  label: string,
  warehouseProfiles: number,
): Promise<EffectResult> {
  const mark = cpuMark();
  const segmentCreateMs = await ensureEffectSegment(api);
  if (segmentCreateMs !== null) progress.note(`effect (${label}): segment ${EFFECT_SEGMENT} created in ${num(segmentCreateMs)} ms`);
  const ch = runtime.clickhouse!;
  const trials: EffectTrial[] = [];
  for (let k = 1; k <= options.trials; k++) {
    progress.set(() => `effect (${label}) trial ${k}/${options.trials}`);
    const email = `effect-${nonce}-${label.replace(/\W+/g, '')}-${k}@bench.test`;
    const lookup = `/v1/profiles?email=${encodeURIComponent(email)}`;
    // An existing customer: a first order of 50.00, in the warehouse before the measured one.
    await postEvents(api, [orderEvent(email, 5000)]);
    const id = await waitFor(`the first order of ${email}`, EFFECT_TIMEOUT_MS, async () => {
      const r = await api.request('GET', lookup);
      return r.status === 200 && r.body.aggregates.total_revenue === 50 ? (r.body.customer360_id as string) : null;
    });
    await waitFor(`the warehouse profile of ${email}`, EFFECT_TIMEOUT_MS, async () => {
      const result = await ch.client.query({
        query: `SELECT count() AS n FROM ${ch.database}.profiles WHERE tenant_id = {t:String} AND customer360_id = {id:UUID}`,
        query_params: { t: TENANT, id },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ n: string | number }>();
      return Number(row?.n ?? 0) > 0 ? true : null;
    });
    await sleep(300); // the enrich batch of the first order finishes its segment recalculation
    const membersBefore = await segmentMembers(api);

    // The measured order: 60.00 more, 110.00 in all, over the segment's 100.
    const t0 = now();
    await postEvents(api, [orderEvent(email, 6000)]);
    const ackMs = now() - t0;
    const profilePollTimes: number[] = [];
    const segmentPollTimes: number[] = [];
    const [revenueMs, segmentMs] = await Promise.all([
      waitFor(`the order in the aggregates of ${email}`, EFFECT_TIMEOUT_MS, async () => {
        const p0 = now();
        const r = await api.request('GET', lookup);
        const end = now();
        profilePollTimes.push(end - p0);
        const a = r.status === 200 ? r.body.aggregates : null;
        return a && a.total_revenue >= 110 - 1e-9 && a.net_revenue >= 110 - 1e-9 && a.ltv >= a.net_revenue ? end - t0 : null;
      }),
      waitFor(`${email} in segment ${EFFECT_SEGMENT}`, EFFECT_TIMEOUT_MS, async () => {
        const p0 = now();
        const members = await segmentMembers(api);
        const end = now();
        segmentPollTimes.push(end - p0);
        return members > membersBefore ? end - t0 : null;
      }),
    ]);
    const trial: EffectTrial = {
      ackMs,
      revenueMs,
      segmentMs,
      profilePolls: profilePollTimes.length,
      segmentPolls: segmentPollTimes.length,
      profilePollMs: median(profilePollTimes),
      segmentPollMs: median(segmentPollTimes),
    };
    trials.push(trial);
    progress.stop();
    progress.note(
      `effect (${label}) trial ${k}/${options.trials}: accepted after ${num(ackMs, 1)} ms, revenue and LTV after ${num(revenueMs)} ms, segment after ${num(segmentMs)} ms (one GET /v1/segments/{id} ${num(trial.segmentPollMs, 1)} ms)`,
    );
  }
  return { label, warehouseProfiles, segmentCreateMs, trials, cpu: cpuShare(mark) };
}
