import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { prettyFor } from './index.js';

describe('service logs', () => {
  it('are pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(prettyFor(undefined, true)).toBe(true);
    expect(prettyFor('auto', false)).toBe(false);
    expect(prettyFor('json', true)).toBe(false);
    expect(prettyFor('pretty', false)).toBe(true);
  });

  it('a service whose output is piped writes one JSON object per line, with its name', () => {
    const script = `import { createLogger } from '${new URL('./index.ts', import.meta.url).href}'; createLogger({ service: 'probe' }).info({ n: 1 }, 'hello');`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LOG_FORMAT: '' },
    });
    const line = JSON.parse(out.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, name: 'probe', n: 1, msg: 'hello' });
  });
});
