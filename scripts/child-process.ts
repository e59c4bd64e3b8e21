/** Starts a TypeScript entry point as a child process and waits until it prints that it is ready. */
import { type ChildProcess, spawn } from 'node:child_process';

export function spawnUntilReady(script: string, env: NodeJS.ProcessEnv, readyText: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
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
