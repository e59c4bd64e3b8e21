import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digitDrawing, SavedDrawingSchema } from '@inkling/protocol';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drawWithMouse,
  drawWithTouch,
  enterRoom,
  inkedPixels,
  launchBrowser,
  recognizedText,
  screenshot,
  waitForInk,
} from './support/browser.js';
import { query } from './support/database.js';
import { ROOT, type Stack, startStack } from './support/stack.js';

const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');

/** Two people in one room, in real headless Chromium, against the real stack. */
describe('web client in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let ada: Page;
  let grace: Page;
  let roomLink: string;
  const contexts: BrowserContext[] = [];
  const newPage = async (options: Parameters<Browser['newContext']>[0] = {}) => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 }, ...options });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  };

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist is missing: run `npm run build:web` first');
    stack = await startStack({ workers: 1, webDist: WEB_DIST });
    browser = await launchBrowser();
    ada = await newPage();
    grace = await newPage();
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.close();
  });

  it('creates a room with a shareable link; a second person joins through it; both are listed', async () => {
    await enterRoom(ada, stack.gateway.url, 'Ada');
    roomLink = await ada.getByTestId('share-link').inputValue();
    expect(roomLink).toMatch(/\?room=[A-Za-z0-9_-]{8,}$/);
    await enterRoom(grace, roomLink, 'Grace');
    for (const page of [ada, grace]) {
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=members] li').length === 2);
    }
    expect(await grace.getByTestId('members').textContent()).toContain('Ada');
    await screenshot(ada, '01-joined');
  });

  it('a digit drawn with the mouse appears for both and both see the same recognized digit', async () => {
    await drawWithMouse(ada, digitDrawing(7));
    await waitForInk(grace, true);
    await recognizedText(ada, '7');
    await recognizedText(grace, '7');
    expect(await grace.getByTestId('confidence').textContent()).toMatch(/\d+(\.\d)?%/);
    await screenshot(grace, '02-recognized-7-seen-by-grace');
  });

  it('undo and redo (buttons and keyboard) change both boards; the other person cannot undo it', async () => {
    await grace.getByTestId('undo').click();
    await grace.waitForSelector('[data-testid=notice]');
    expect(await grace.getByTestId('notice').textContent()).toContain('no stroke');
    await ada.getByTestId('undo').click();
    await waitForInk(ada, false);
    await waitForInk(grace, false);
    await ada.getByTestId('redo').click();
    await waitForInk(grace, true);
    await ada.keyboard.press('Control+z');
    await waitForInk(grace, false);
    await ada.keyboard.press('Control+Shift+Z');
    await waitForInk(grace, true);
    await recognizedText(grace, '7');
  });

  it('labels the drawing for retraining', async () => {
    await grace.getByTestId('label-input').fill('7');
    await grace.getByTestId('label-submit').click();
    await grace.waitForFunction(() => document.querySelector('[data-testid=label-status]')?.textContent?.includes('Saved'));
    const { rows } = await query(stack, 'SELECT text FROM labels');
    expect(rows.map((r) => r.text)).toContain('7');
  });

  let savedJson = '';
  let savedPng = '';
  it('saves a timestamped PNG and a JSON file that holds every point', async () => {
    const files: Download[] = [];
    const both = new Promise<void>((resolve) => {
      ada.on('download', (d) => {
        files.push(d);
        if (files.length === 2) resolve();
      });
    });
    await ada.getByTestId('save').click();
    await both;
    const names = files.map((f) => f.suggestedFilename()).sort();
    expect(names[0]).toMatch(/^inkling-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.json$/);
    expect(names[1]).toBe(names[0]?.replace('.json', '.png'));
    for (const f of files) {
      const path = join(ROOT, 'artifacts', f.suggestedFilename());
      await f.saveAs(path);
      if (path.endsWith('.json')) savedJson = path;
      else savedPng = path;
    }
    const saved = SavedDrawingSchema.parse(JSON.parse(await readFile(savedJson, 'utf8')));
    expect(saved.strokes).toHaveLength(1);
    expect(saved.strokes[0]?.points.length).toBeGreaterThan(10);
    const png = await readFile(savedPng);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('clear archives the drawing; history shows it with its number and label, and opens it', async () => {
    await ada.getByTestId('clear').click();
    await waitForInk(ada, false);
    await waitForInk(grace, false);
    await grace.waitForSelector('[data-testid=history-item]');
    const entry = grace.getByTestId('history-item').first();
    expect(await entry.textContent()).toContain('7');
    expect(await entry.textContent()).toContain('label 7');
    await entry.click();
    await grace.waitForSelector('[data-testid=history-detail] img');
    await grace.waitForFunction(
      () => (document.querySelector('[data-testid=history-detail] img') as HTMLImageElement | null)?.naturalWidth === 280,
    );
    await screenshot(grace, '03-history-detail');
    await grace.keyboard.press('Escape');
    await grace.waitForSelector('[data-testid=history-detail]', { state: 'detached' });
  });

  it('loads the saved JSON back onto the board for everyone, recognized again', async () => {
    await ada.getByTestId('load-file').setInputFiles(savedJson);
    await waitForInk(grace, true);
    await recognizedText(grace, '7');
    await ada.getByTestId('clear').click();
    await waitForInk(grace, false);
  });

  it('loads a PNG: traced into strokes and recognized', async () => {
    await grace.getByTestId('load-file').setInputFiles(savedPng);
    await waitForInk(ada, true);
    await recognizedText(ada, '7');
    await ada.getByTestId('preview-toggle').check();
    await ada.waitForSelector('[data-testid=model-input]');
    await screenshot(ada, '04-loaded-png-with-model-input');
  });

  it('a bad file gets a clear message and changes nothing', async () => {
    const before = await inkedPixels(ada);
    await ada
      .getByTestId('load-file')
      .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await ada.waitForFunction(() => document.querySelector('[data-testid=notice]')?.textContent?.includes('not an Inkling drawing'));
    expect(await inkedPixels(ada)).toBe(before);
  });

  it('loads a typed "42" as a PNG and reads 42 (issue 11: it was read as "612"), in several fonts', async () => {
    for (const file of ['42-sans-48.png', '42-mono-48.png', '42-serif-48.png']) {
      await ada.getByTestId('clear').click();
      await waitForInk(grace, false);
      await grace.getByTestId('load-file').setInputFiles(join(ROOT, 'packages', 'protocol', 'fixtures', 'typed', file));
      await waitForInk(ada, true);
      await recognizedText(ada, '42');
    }
  });

  it('on a phone-sized screen a finger draws too, and the number is recognized for everyone', async () => {
    await ada.getByTestId('clear').click();
    await waitForInk(grace, false);
    const phone = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
    await enterRoom(phone, roomLink, 'Linus');
    const box = await phone.getByTestId('board').boundingBox();
    expect(box?.width).toBeLessThanOrEqual(390);
    expect(box?.width).toBeGreaterThan(300);
    await drawWithTouch(phone, digitDrawing(3));
    await recognizedText(phone, '3');
    await recognizedText(ada, '3');
    const scrolled = await phone.evaluate(() => window.scrollY);
    expect(scrolled).toBe(0);
    await screenshot(phone, '05-phone-drew-3');
  });

  it('the help panel lists the keyboard shortcuts', async () => {
    await ada.keyboard.press('?');
    await ada.waitForSelector('[data-testid=help]');
    expect(await ada.getByTestId('help').textContent()).toContain('Ctrl/⌘ + Z');
    await screenshot(ada, '06-help');
    await ada.keyboard.press('Escape');
    await ada.waitForSelector('[data-testid=help]', { state: 'detached' });
  });
});
