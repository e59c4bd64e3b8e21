/**
 * Attacks where a browser is the victim, in real Chromium against the real stack and the built web app:
 * a page of another origin reaching for a room (fetch, WebSocket, framing), a stroke id stolen from
 * `stroke:live` while Alice draws, a forged session token in the browser's storage, and the Content
 * Security Policy holding while the app and the admin page are used (no violation, no inline script).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { digitDrawing } from '@inkling/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawWithMouse, enterRoom, inkedPixels, launchBrowser, recognizedText, screenshot } from './support/browser.js';
import { query } from './support/database.js';
import { ADMIN_TOKEN, call, ROOT, type Stack, startStack } from './support/stack.js';

const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');

describe('browser victims', () => {
  let stack: Stack;
  let browser: Browser;
  let evil: Server;
  let evilUrl: string;
  const contexts: BrowserContext[] = [];

  /** A page that records every CSP violation and uncaught error it meets. */
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    await context.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  };
  const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist is missing: run `npm run build:web` first');
    stack = await startStack({ workers: 1, webDist: WEB_DIST });
    browser = await launchBrowser();
    // Another site, on another origin (another port), that knows a room id.
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>evil</title><body></body>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await stack?.close();
  });

  it('a page of another origin can neither read a room over HTTP, nor open a socket to it, nor frame the app', async () => {
    const owner = await stack.client();
    const joined = await call(owner, 'room:join', { name: 'Owner' });
    if (!joined.ok) throw new Error('join failed');
    await call(owner, 'stroke:commit', { stroke: digitDrawing(1)[0] as never });
    const page = await newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/frame-ancestors|Refused to (display|frame)/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(evilUrl);
    const gateway = stack.gateway.url;
    const result = await page.evaluate(
      async ({ gateway, roomId }) => {
        const http = await fetch(`${gateway}/api/rooms/${roomId}/history`).then(
          async (r) => `read ${r.status}: ${await r.text()}`,
          (e: Error) => `blocked: ${e.name}`,
        );
        const ws = await new Promise<string>((resolve) => {
          const s = new WebSocket(`${gateway.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
          s.onopen = () => resolve('opened');
          s.onerror = () => resolve('refused');
          setTimeout(() => resolve('timeout'), 5000);
        });
        const frame = document.createElement('iframe');
        frame.src = `${gateway}/?room=${roomId}`;
        document.body.append(frame);
        await new Promise((r) => setTimeout(r, 1500));
        return { http, ws };
      },
      { gateway, roomId: joined.roomId },
    );
    expect(result.http).toBe('blocked: TypeError');
    expect(result.ws).toBe('refused');
    expect(blocked.length).toBeGreaterThan(0);
    // The owner's room is as it was: one stroke, one member.
    const check = await call(await stack.client(), 'room:join', { roomId: joined.roomId, name: 'Checker' });
    expect(check.ok && check.board.strokes.length).toBe(1);
    expect(check.ok && check.board.members.map((m) => m.name).sort()).toEqual(['Checker', 'Owner']);
  });

  it("Alice's ink survives Mallory committing the stroke id she saw in stroke:live: both strokes are kept, Alice's is hers", async () => {
    const alice = await newPage();
    await enterRoom(alice, stack.gateway.url, 'Alice');
    const link = await alice.getByTestId('share-link').inputValue();
    const roomId = new URL(link).searchParams.get('room') as string;
    const mallory = await stack.client();
    const m = await call(mallory, 'room:join', { roomId, name: 'Mallory' });
    if (!m.ok) throw new Error('join failed');
    // Mallory commits every stroke id she sees, the moment she sees it, before Alice finishes the stroke.
    const stolen: string[] = [];
    mallory.on('stroke:live', (e) => {
      if (stolen.includes(e.strokeId)) return;
      stolen.push(e.strokeId);
      mallory.emit('stroke:commit', { stroke: { id: e.strokeId, points: [[0.95, 0.95, 0]] } }, () => undefined);
    });
    await drawWithMouse(alice, digitDrawing(7));
    await recognizedText(alice, '7');
    expect(stolen.length).toBeGreaterThan(0);
    // No error for Alice, her ink on her board, and in the database under her id with all its points.
    expect(await alice.locator('[data-testid=notice]').count()).toBe(0);
    const { rows } = await query(stack, 'SELECT author_id, jsonb_array_length(points) AS n FROM strokes WHERE stroke_id = $1 ORDER BY id', [
      stolen[0],
    ]);
    expect(rows.map((r) => r.author_id)).toContain(m.userId);
    const alicesRow = rows.find((r) => r.author_id !== m.userId);
    expect(Number(alicesRow?.n)).toBeGreaterThan(5);
    // Mallory's undo takes Mallory's stroke only: Alice's 7 stays on Alice's board.
    await call(mallory, 'board:undo', {});
    expect(await inkedPixels(alice)).toBeGreaterThan(0);
    await recognizedText(alice, '7');
    expect(await violations(alice)).toEqual([]);
    await screenshot(alice, '20-stroke-theft-alice-keeps-her-7');
  });

  it('a forged session token in the browser is refused and replaced: the page joins as a new person and keeps working', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Grace');
    const real = await page.evaluate(() => localStorage.getItem('inkling.session'));
    expect(real).toMatch(/^v1\./);
    const forged = `${real?.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`;
    await page.evaluate((t) => localStorage.setItem('inkling.session', t), forged);
    await page.reload(); // the remembered name joins at once
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live');
    const replaced = await page.evaluate(() => localStorage.getItem('inkling.session'));
    expect(replaced).toMatch(/^v1\./);
    expect(replaced).not.toBe(forged);
    await drawWithMouse(page, digitDrawing(3));
    await recognizedText(page, '3');
  });

  it('the room page and the admin page run under the CSP without a single violation; the admin token stays out of localStorage', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Ada');
    await drawWithMouse(page, digitDrawing(4));
    await recognizedText(page, '4');
    await page.getByTestId('clear').click();
    await page.waitForSelector('[data-testid=history-item]');
    await page.getByTestId('history-item').first().click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=history-detail] img') as HTMLImageElement | null)?.naturalWidth === 280,
    );
    expect(await violations(page)).toEqual([]);

    const admin = await newPage();
    await admin.goto(`${stack.gateway.url}/admin`);
    await admin.getByTestId('admin-token').fill(ADMIN_TOKEN);
    await admin.getByTestId('admin-signin').click();
    await admin.waitForSelector('[data-testid=models] tbody tr');
    expect(await admin.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(ADMIN_TOKEN);
    // The queue dashboard opens from the admin page (cookie session), under the same policy.
    const [dashboard] = await Promise.all([admin.context().waitForEvent('page'), admin.getByTestId('queue-dashboard').click()]);
    await dashboard.waitForLoadState();
    await dashboard.waitForFunction(() => document.body.textContent?.includes('recognition'), undefined, { timeout: 15_000 });
    await screenshot(dashboard, '21-queue-dashboard');
    expect(await violations(admin)).toEqual([]);
    // Bull Board asks for web fonts from fonts.googleapis.com, which the policy refuses (it falls back to
    // local fonts); no script of it is refused.
    expect((await violations(dashboard)).filter((v) => v.startsWith('script-src'))).toEqual([]);
    const docs = await newPage();
    await docs.goto(`${stack.gateway.url}/api/docs`);
    await docs.waitForSelector('.swagger-ui .opblock', { timeout: 15_000 });
    expect(await violations(docs)).toEqual([]);
    await screenshot(docs, '22-api-docs');
  }, 120_000);
});
