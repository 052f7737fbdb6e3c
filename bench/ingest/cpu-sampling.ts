/** CPU sampling of a measured window: snapshots of CPU time and event-loop use, and the usage between two. */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { now } from '../load.ts';
import { cpuSecondsOf, machineCpuSeconds } from '../util.ts';
import type { Probe, Usage, Window } from './measures.ts';

interface Snapshot {
  at: number;
  elu: EventLoopUtilization;
  cpu: NodeJS.CpuUsage;
  mainThread: number;
  server: number;
  clientThreads: number;
  broker: number;
  machine: { busy: number; total: number };
}

function snapshot(probe: Probe): Snapshot {
  return {
    at: now(),
    elu: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    mainThread: cpuSecondsOf(process.pid, process.pid),
    server: probe.serverPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    clientThreads: probe.clientThreads.reduce((sum, tid) => sum + cpuSecondsOf(process.pid, tid), 0),
    broker: probe.brokerPid ? cpuSecondsOf(probe.brokerPid) : NaN,
    machine: machineCpuSeconds(),
  };
}

function usageBetween(a: Snapshot, b: Snapshot, clientThreadElu: number | null): Usage {
  const seconds = (b.at - a.at) / 1000;
  const processSeconds = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1e6;
  const brokerSeconds = b.broker - a.broker;
  const machineSeconds = b.machine.busy - a.machine.busy;
  const serverSeconds = b.server - a.server;
  return {
    mainThreadElu: performance.eventLoopUtilization(b.elu, a.elu).utilization,
    clientThreadElu,
    // With --processes the server is the processes of `c360 start`: their CPU counts as the server's.
    mainThreadCores: (serverSeconds > 0 ? serverSeconds : b.mainThread - a.mainThread) / seconds,
    clientThreadCores: (b.clientThreads - a.clientThreads) / seconds,
    processCores: processSeconds / seconds,
    brokerCores: brokerSeconds / seconds,
    otherCores: Math.max(0, (machineSeconds - processSeconds - brokerSeconds - serverSeconds) / seconds),
    mainThreadMicrosPerEvent: NaN,
  };
}

/** Snapshots at the start and the end of the measured window, taken on the main thread. */
export function windowSnapshots(window: Window, probe: Probe) {
  let first: Snapshot | null = null;
  let last: Snapshot | null = null;
  const t1 = setTimeout(() => (first = snapshot(probe)), Math.max(0, window.startAt + window.warmupMs - now()));
  const t2 = setTimeout(() => (last = snapshot(probe)), Math.max(0, window.startAt + window.warmupMs + window.windowMs - now()));
  return {
    usage(clientThreadElu: number | null): Usage {
      clearTimeout(t1);
      clearTimeout(t2);
      const a = first ?? snapshot(probe);
      const b = last ?? snapshot(probe);
      return usageBetween(a, b, clientThreadElu);
    },
  };
}
