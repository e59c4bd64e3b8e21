/**
 * `npm run bench:web`: the web client's budget. Initial JavaScript (gzipped) of the production build, and
 * the time from navigation to a live, ready-to-draw board in headless Chromium against a real gateway on
 * loopback (name remembered, so no prompt), over repeated cold page loads.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startGateway } from '@inkling/gateway';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { ensureServices } from '../scripts/local-services.js';
import { openScratchSpace } from '../scripts/scratch-space.js';
import { percentile, printTable } from './table.js';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'apps', 'web', 'dist');
const RUNS = Number(process.env.RUNS ?? 20);

/** Raw and gzipped size of the JavaScript files a room page loaded before it was ready. */
async function initialJavaScript(files: string[]): Promise<{ raw: number; gzip: number; files: string[] }> {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = await readFile(join(DIST, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip, files };
}

async function main(): Promise<void> {
  let loadedScripts: string[] = [];
  const services = await ensureServices({
    dataDir: join(ROOT, '.data', 'bench'),
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
  });
  const space = await openScratchSpace(services.databaseUrl, services.redisUrl, 'benchweb');
  const gateway = await startGateway(
    {
      PORT: 0,
      HOST: '127.0.0.1',
      DATABASE_URL: space.databaseUrl,
      REDIS_URL: space.redisUrl,
      REDIS_PREFIX: space.prefix,
      LOG_LEVEL: 'warn',
      WEB_DIST: DIST,
      RATE_LIMIT_PER_SEC: 200,
      // Every page load makes a room from this one address; the default (60 an hour, bursts of 20) would
      // refuse the 21st load of a run.
      ROOMS_PER_HOUR: 10_000,
      NODE_ENV: 'production',
      GATEWAY_PEER_CHECK_MS: 2000,
      SESSION_SECRET: 'bench-web-session-secret-0123456789abcdef',
      METRICS_PORT: 0,
    },
    pino({ level: 'warn' }),
  );
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const ready: number[] = [];
  const domContent: number[] = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext();
      await context.addInitScript(() => window.localStorage.setItem('inkling.name', 'Bench'));
      const page = await context.newPage();
      await page.goto(gateway.url);
      // The first, uncounted load also starts the gateway's pools and caches: on a busy machine it takes longer.
      await page.waitForFunction(() => performance.getEntriesByName('inkling:ready').length > 0, undefined, {
        timeout: i === 0 ? 60_000 : 10_000,
      });
      const t = await page.evaluate(() => ({
        ready: performance.getEntriesByName('inkling:ready')[0]?.startTime ?? Number.NaN,
        dom: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
      }));
      if (i === 0) {
        loadedScripts = await page.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .map((e) => new URL(e.name).pathname)
            .filter((p) => p.endsWith('.js')),
        );
      }
      if (i > 0) {
        // The first load warms the server's caches; it is not counted.
        ready.push(t.ready);
        domContent.push(t.dom);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await gateway.close();
    await space.dispose();
    await services.stop();
  }
  const js = await initialJavaScript(loadedScripts);
  ready.sort((a, b) => a - b);
  domContent.sort((a, b) => a - b);
  printTable(`bench:web — production build, ${RUNS} cold page loads in headless Chromium on loopback`, [
    {
      measure: 'initial JavaScript, gzipped',
      value: `${(js.gzip / 1024).toFixed(1)} KB (${(js.raw / 1024).toFixed(0)} KB raw, ${js.files.length} files)`,
      target: '≤ 100 KB',
    },
    { measure: 'DOMContentLoaded, p50', value: `${percentile(domContent, 50).toFixed(0)} ms`, target: '' },
    { measure: 'load → ready to draw (room joined), p50', value: `${percentile(ready, 50).toFixed(0)} ms`, target: '≤ 500 ms' },
    {
      measure: 'load → ready to draw, p95 / max',
      value: `${percentile(ready, 95).toFixed(0)} / ${(ready.at(-1) ?? 0).toFixed(0)} ms`,
      target: '',
    },
  ]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
