/** CPU use between two marks: the cores kept busy by this process, the embedded Postgres and everything else. */
import os from 'node:os';
import { childrenOf, cpuSecondsOf, machineCpuSeconds, num } from '../util.ts';

export interface CpuShare {
  cores: number;
  /** Cores kept busy on average by this process (server, chDB, client worker), its child processes (embedded Postgres) and everything else on the machine. */
  own: number;
  postgres: number;
  others: number;
}

export interface CpuMark {
  at: number;
  machine: number;
  own: number;
  children: number;
}

export function cpuMark(): CpuMark {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machine: machineCpuSeconds().busy,
    own: (usage.user + usage.system) / 1e6,
    children: childrenOf(process.pid).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
  };
}

export function cpuShare(from: CpuMark, to: CpuMark = cpuMark()): CpuShare {
  const wall = (to.at - from.at) / 1000;
  const own = (to.own - from.own) / wall;
  const postgres = Math.max(0, to.children - from.children) / wall;
  return { cores: os.cpus().length, own, postgres, others: Math.max(0, (to.machine - from.machine) / wall - own - postgres) };
}

export const cpuText = (c: CpuShare) => `CPU (of ${c.cores} cores): this process ${num(c.own, 2)}, Postgres ${num(c.postgres, 2)}, other processes ${num(c.others, 2)}`;
