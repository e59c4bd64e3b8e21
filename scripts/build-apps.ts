/**
 * `npm run build:apps`: builds the deployable processes into plain JavaScript, one esbuild bundle per entry
 * point (the process and each of its worker-thread entries) in the app's `dist/`. The project's own packages
 * (`@inkling/*`, TypeScript sources) are bundled in; npm dependencies stay imports of node_modules (native
 * addons, wasm files and pino's transport threads load from there). Production processes (`npm start`,
 * infra/Dockerfile) run these bundles: no TypeScript loader at start-up. Tests keep running the sources.
 */
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');

/** Every entry point a production process starts, by app: the process and its worker-thread entries. */
export const APP_ENTRIES = {
  gateway: ['main.ts', 'png-worker.ts'],
  worker: ['main.ts', 'inference-thread.ts'],
  trainer: ['trainer-main.ts'],
} as const;

/** npm dependencies stay external; the workspace's own packages are bundled. */
const externalDependencies: Plugin = {
  name: 'external-dependencies',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@inkling/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export async function buildApps(log: (line: string) => void = () => undefined): Promise<void> {
  const started = performance.now();
  await Promise.all(
    Object.entries(APP_ENTRIES).map(([app, entries]) =>
      build({
        entryPoints: entries.map((e) => join(ROOT, 'apps', app, 'src', e)),
        outdir: join(ROOT, 'apps', app, 'dist'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        // Entries share code through chunks rather than each carrying its own copy.
        splitting: true,
        // Chunks beside the entries: code that finds a thread entry relative to itself works from any of them.
        chunkNames: '[name]-[hash]',
        plugins: [externalDependencies],
        logLevel: 'warning',
      }),
    ),
  );
  log(`built ${Object.keys(APP_ENTRIES).join(', ')} in ${Math.round(performance.now() - started)} ms`);
}

if (process.argv[1] === import.meta.filename) {
  buildApps((line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
