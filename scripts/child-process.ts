/**
 * Starts an entry point as a child process and waits until it prints that it is ready: TypeScript through
 * tsx, built JavaScript (`.js`, `.mjs`) as it is. `nodeArgs` go to node first (e.g. `--cpu-prof`).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export function spawnUntilReady(
  script: string,
  env: NodeJS.ProcessEnv,
  readyText: string,
  nodeArgs: readonly string[] = [],
): { child: ChildProcess; ready: Promise<void> } {
  const loader = /\.m?js$/.test(script) ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(readyText)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with code ${code} before it was ready:\n${out}`)));
  });
  return { child, ready };
}
