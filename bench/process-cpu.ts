/**
 * CPU time of the processes a benchmark runs, read from the processes themselves (/proc/<pid>/stat: user +
 * system time), so a figure like "CPU ms per commit" can be compared between machines. A group is a set of
 * root pids plus all their descendants (Postgres backends are children of the postmaster).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SEC = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields from 3 on: state(3) ppid(4) … utime(14) stime(15).
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The pids of `roots` and every process below them. */
export function withDescendants(roots: readonly number[]): number[] {
  const parent = new Map<number, number>();
  for (const pid of allPids()) {
    const s = readStat(pid);
    if (s) parent.set(pid, s.ppid);
  }
  const wanted = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!wanted.has(pid) && wanted.has(ppid)) {
        wanted.add(pid);
        grew = true;
      }
    }
  }
  return [...wanted];
}

/** The server process listening on `port` for a service started from the command line with that port. */
export function findServerPid(kind: 'postgres' | 'redis', port: number): number | null {
  for (const pid of allPids()) {
    const cmd = cmdline(pid);
    if (kind === 'postgres' && /\bpostgres\b/.test(cmd) && new RegExp(`-p ${port}\\b`).test(cmd)) return pid;
    if (kind === 'redis' && /redis-server/.test(cmd) && (cmd.includes(`:${port}`) || new RegExp(`--port ${port}\\b`).test(cmd))) return pid;
  }
  return null;
}

/** Named groups of processes whose CPU time is read together. */
export class CpuMeter {
  private groups = new Map<string, { roots: number[]; descendants: boolean }>();

  /** @param descendants count the processes below `roots` too (default true). */
  add(name: string, roots: readonly (number | null | undefined)[], descendants = true): void {
    const pids = roots.filter((p): p is number => typeof p === 'number' && p > 0);
    if (pids.length > 0) this.groups.set(name, { roots: pids, descendants });
  }

  /** CPU milliseconds used so far by each group (descendants looked up afresh each time). */
  snapshot(): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    for (const [name, { roots, descendants }] of this.groups) {
      const perPid = new Map<number, number>();
      for (const pid of descendants ? withDescendants(roots) : roots) {
        const s = readStat(pid);
        if (s) perPid.set(pid, (s.cpuTicks * 1000) / TICKS_PER_SEC);
      }
      out.set(name, perPid);
    }
    return out;
  }

  /** CPU ms per group between two snapshots (a process born in between counts from zero). */
  static delta(before: Map<string, Map<number, number>>, after: Map<string, Map<number, number>>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, pids] of after) {
      let ms = 0;
      for (const [pid, t] of pids) ms += t - (before.get(name)?.get(pid) ?? 0);
      out.set(name, ms);
    }
    return out;
  }
}
