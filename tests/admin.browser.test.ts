import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { digitDrawing } from '@inkling/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser.js';
import { query } from './support/database.js';
import { ADMIN_TOKEN, call, ROOT, type Stack, startStack } from './support/stack.js';

const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');

/** The admin page in Chromium driving a small real retraining job through the real stack. */
describe('admin page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist is missing: run `npm run build:web` first');
    stack = await startStack({ workers: 1, webDist: WEB_DIST });
    await stack.spawnTrainer();
    // A drawing the recognizer reads as 1 that a user says is a 7: it belongs in the review queue.
    const c = await stack.client();
    const joined = await call(c, 'room:join', { name: 'Labeller' });
    if (!joined.ok) throw new Error('join failed');
    const ack = await call(c, 'stroke:commit', { stroke: digitDrawing(1)[0] as never });
    if (!ack.ok) throw new Error('commit failed');
    await new Promise((r) => setTimeout(r, 500));
    expect(await call(c, 'board:label', { revision: ack.revision, text: '7' })).toEqual({ ok: true });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 1000 } })).newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('refuses a wrong token', async () => {
    await page.goto(`${stack.gateway.url}/admin`);
    await page.getByTestId('admin-token').fill('not-the-token-at-all');
    await page.getByTestId('admin-signin').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=admin-error]')?.textContent?.includes('admin token'));
  });

  it('runs a small retraining job with live curves; the new version appears in the registry', async () => {
    await page.getByTestId('admin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('admin-signin').click();
    await page.waitForSelector('[data-testid=models] tbody tr');
    expect(await page.locator('[data-testid=models] tbody tr').count()).toBe(1);
    // The shipped model's held-out pen writers figure (recorded in its metadata) is shown next to MNIST.
    expect(await page.getByTestId('model-pen').first().textContent()).toMatch(/^\d+\.\d\d%$/);
    await page.getByTestId('retrain-epochs').fill('2');
    await page.getByTestId('retrain-mnist').fill('768');
    await page.getByTestId('retrain-start').click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=loss-curve]')?.getAttribute('d') ?? '').split('L').length > 3,
      undefined,
      {
        timeout: 120_000,
      },
    );
    await screenshot(page, '10-admin-training-live');
    await page.waitForSelector('[data-testid=job-result]', { timeout: 240_000 });
    expect(await page.getByTestId('job-state').textContent()).toBe('completed');
    const result = await page.getByTestId('job-result').textContent();
    expect(result).toMatch(/MNIST \d+\.\d\d%, pen writers \d+\.\d\d%/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=models] tbody tr').length === 2);
    expect(await page.locator('[data-testid=training-chart] circle.val').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.matrices table').count()).toBe(2);
    await screenshot(page, '11-admin-job-done');
  }, 300_000);

  it('labels the review queue with the keyboard', async () => {
    await page.waitForSelector('[data-testid=review] li');
    await page.getByTestId('review').focus();
    await page.keyboard.press('7');
    // The label is stored (the row is the outcome that counts), then shown on the item.
    const labelled = async () =>
      (await query(stack, "SELECT count(*)::int AS n FROM labels WHERE user_id = 'admin' AND text = '7'")).rows[0]?.n as number;
    const deadline = Date.now() + 15_000;
    while ((await labelled()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await labelled(), `page says: ${await page.locator('[role=alert]').allTextContents()}`).toBe(1);
    await page.waitForFunction(() => document.querySelector('[data-testid=review-label]')?.textContent?.includes('7'));
    await screenshot(page, '12-admin-review');
  });
});
