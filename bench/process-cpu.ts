/**
 * CPU time of the processes a benchmark runs, read from the processes themselves (/proc/<pid>/stat: user +
 * system time), so a figure like "CPU ms per commit" can be compared between machines; the kernel's part of
 * it, and their read and write system calls (/proc/<pid>/io). A group is a set of root pids plus all their
 * descendants (Postgres backends are children of the postmaster).
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
  /** The part of `cpuTicks` spent in the kernel (system calls, page faults). */
  systemTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields from 3 on: state(3) ppid(4) … utime(14) stime(15).
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), systemTicks: Number(fields[12]) };
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

/** Read and write system calls made so far by `pid` (all its threads); 0 when unreadable. */
function readSyscalls(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return field('syscr') + field('syscw');
  } catch {
    return 0;
  }
}

/** What a process used so far: CPU milliseconds (of which in the kernel) and read/write system calls. */
export interface ProcessUse {
  cpuMs: number;
  systemMs: number;
  syscalls: number;
}

/** Named groups of processes whose CPU time is read together. */
export class CpuMeter {
  private groups = new Map<string, { roots: number[]; descendants: boolean }>();

  /** @param descendants count the processes below `roots` too (default true). */
  add(name: string, roots: readonly (number | null | undefined)[], descendants = true): void {
    const pids = roots.filter((p): p is number => typeof p === 'number' && p > 0);
    if (pids.length > 0) this.groups.set(name, { roots: pids, descendants });
  }

  /** What each group used so far, per process (descendants looked up afresh each time). */
  snapshot(): Map<string, Map<number, ProcessUse>> {
    const out = new Map<string, Map<number, ProcessUse>>();
    for (const [name, { roots, descendants }] of this.groups) {
      const perPid = new Map<number, ProcessUse>();
      for (const pid of descendants ? withDescendants(roots) : roots) {
        const s = readStat(pid);
        if (s) {
          perPid.set(pid, {
            cpuMs: (s.cpuTicks * 1000) / TICKS_PER_SEC,
            systemMs: (s.systemTicks * 1000) / TICKS_PER_SEC,
            syscalls: readSyscalls(pid),
          });
        }
      }
      out.set(name, perPid);
    }
    return out;
  }

  /** What each group used between two snapshots (a process born in between counts from zero). */
  static delta(before: Map<string, Map<number, ProcessUse>>, after: Map<string, Map<number, ProcessUse>>): Map<string, ProcessUse> {
    const out = new Map<string, ProcessUse>();
    for (const [name, pids] of after) {
      const used: ProcessUse = { cpuMs: 0, systemMs: 0, syscalls: 0 };
      for (const [pid, now] of pids) {
        const then = before.get(name)?.get(pid);
        used.cpuMs += now.cpuMs - (then?.cpuMs ?? 0);
        used.systemMs += now.systemMs - (then?.systemMs ?? 0);
        used.syscalls += now.syscalls - (then?.syscalls ?? 0);
      }
      out.set(name, used);
    }
    return out;
  }
}
