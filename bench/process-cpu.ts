/**
 * CPU time of processes read from /proc (Linux), so a benchmark can report CPU milliseconds per commit for
 * each part of the stack: a process with its threads, or a server with its child processes (PostgreSQL's
 * backends, including those that exited, through the parent's cumulative child times).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every mainstream Linux). */
const TICKS_PER_SEC = 100;

interface Stat {
  parent: number;
  /** utime + stime, and the reaped children's cutime + cstime, in ms. */
  ownMs: number;
  childrenMs: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command (which may hold spaces): state, ppid, …, utime is field 14.
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SEC;
    return {
      parent: f[1] as number,
      ownMs: ms((f[11] as number) + (f[12] as number)),
      childrenMs: ms((f[13] as number) + (f[14] as number)),
    };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** CPU ms used so far by `pid` (with its threads) and, with `tree`, by its children, living and exited. */
export function cpuMs(pid: number, tree = false): number {
  const own = stat(pid);
  if (!own) return 0;
  if (!tree) return own.ownMs;
  let total = own.ownMs + own.childrenMs;
  for (const p of allPids()) {
    const s = stat(p);
    if (s?.parent === pid) total += s.ownMs + s.childrenMs;
  }
  return total;
}

/** The pid of a running process whose command line contains `text` (e.g. Redis's "redis-server 127.0.0.1:6379"). */
export function findPid(text: string): number | null {
  for (const p of allPids()) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text)) return p;
    } catch {
      // exited meanwhile
    }
  }
  return null;
}
