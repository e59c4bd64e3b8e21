/**
 * The room page as people on different screens meet it, in real Chromium against the real stack: numbers of
 * 1, 4 and 8 digits on a phone (touch), a tablet and a laptop without the layout moving or overflowing;
 * every width from 320 to 1920 px; others' names on their live strokes; new room, a dead link, rename;
 * dialogs with Escape and focus return; and an axe-core check of the room page, the history dialog and the
 * admin page. Screenshots of each state go to artifacts/screenshots/ui-*.png.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { digitDrawing, LIMITS, numberDrawing, type Prediction, redisKeys, SAVED_DRAWING_FORMAT, type Stroke } from '@inkling/protocol';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawWithMouse, drawWithTouch, enterRoom, launchBrowser, screenshot, waitForInk } from './support/browser.js';
import { ADMIN_TOKEN, ROOT, type Stack, startStack } from './support/stack.js';

const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const SIZES = [
  { name: 'phone', viewport: { width: 390, height: 844 }, touch: true },
  { name: 'tablet', viewport: { width: 768, height: 1024 }, touch: false },
  { name: 'laptop', viewport: { width: 1280, height: 800 }, touch: false },
] as const;
const NUMBERS = ['7', '2026', '31415926'] as const;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Layout {
  viewport: { width: number; height: number };
  scrollWidth: number;
  scrollX: number;
  scrollY: number;
  rects: Record<string, Rect | null>;
  /** Layout shifts since the previous look (including those the browser would excuse after input). */
  shifts: { value: number; sources: string[] }[];
}

/** What `recordShifts` leaves on the page. */
interface ShiftLog {
  /** Shifts seen since the previous call, then counting starts afresh. */
  __takeShifts: () => { value: number; sources: string[] }[];
}

/** Positions of the page's main blocks, and whether anything scrolls sideways. */
function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const rect = (sel: string) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    return {
      viewport: { width: document.documentElement.clientWidth, height: window.innerHeight },
      scrollWidth: document.documentElement.scrollWidth,
      scrollX: window.scrollX,
      scrollY: window.scrollY,
      rects: {
        board: rect('[data-testid=board]'),
        toolbar: rect('[data-testid=toolbar]'),
        prediction: rect('[data-testid=prediction]'),
        charts: rect('[data-testid=digit-charts]'),
        members: rect('[data-testid=members]'),
        history: rect('.history'),
      },
      shifts: (window as unknown as ShiftLog).__takeShifts(),
    };
  });
}

/**
 * Records every layout shift (CLS excuses shifts right after input; we do not). The browser finds a shift
 * while laying out a frame but hands it to the observer's callback in a later task, so a look at the shifts
 * takes the ones not handed over yet too: each shift is counted in the period its frame belongs to.
 */
const recordShifts = () => {
  let shifts: { value: number; sources: string[] }[] = [];
  const describe = (n: Node | null | undefined) =>
    n instanceof Element
      ? `${n.tagName.toLowerCase()}${n.className ? `.${String(n.className).split(' ').join('.')}` : ''}`
      : String(n?.nodeName);
  const record = (entries: PerformanceEntryList) => {
    for (const e of entries) {
      const shift = e as unknown as { value: number; sources?: { node?: Node | null }[] };
      shifts.push({ value: shift.value, sources: (shift.sources ?? []).map((s) => describe(s.node)) });
    }
  };
  const observer = new PerformanceObserver((list) => record(list.getEntries()));
  observer.observe({ type: 'layout-shift', buffered: true });
  (window as unknown as ShiftLog).__takeShifts = () => {
    record(observer.takeRecords());
    const seen = shifts;
    shifts = [];
    return seen;
  };
};

/** Resolves once the page has laid out (and so measured the shifts of) everything changed before the call. */
const nextFrames = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

function expectFits(l: Layout, label: string): void {
  expect(l.scrollWidth, `${label}: nothing scrolls sideways`).toBeLessThanOrEqual(l.viewport.width);
  expect(l.scrollX, label).toBe(0);
  const board = l.rects.board as Rect;
  const toolbar = l.rects.toolbar as Rect;
  expect(board.x, `${label}: board inside the viewport`).toBeGreaterThanOrEqual(0);
  expect(board.y).toBeGreaterThanOrEqual(0);
  expect(board.x + board.width).toBeLessThanOrEqual(l.viewport.width);
  expect(board.y + board.height, `${label}: board bottom on screen`).toBeLessThanOrEqual(l.viewport.height);
  expect(toolbar.y + toolbar.height, `${label}: toolbar visible without scrolling`).toBeLessThanOrEqual(l.viewport.height);
  const charts = l.rects.charts as Rect;
  expect(charts.x + charts.width, `${label}: digit charts inside their area`).toBeLessThanOrEqual(l.viewport.width);
}

/** Waits until the board shows a prediction for its latest revision (a number or "not a digit"). */
async function settledPrediction(page: Page, digits: number): Promise<void> {
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('[data-testid=digit-chart]').length === n &&
      !document.querySelector('.updating.shown') &&
      !!document.querySelector('[data-testid=recognized], [data-testid=not-digit]'),
    digits,
    { timeout: 30_000 },
  );
}

async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (no inline script) does not govern; an
  // injected <script> tag would be refused.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE, 'utf8'));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 } as const;

/** Board pixels drawn exactly in `color` (an rgb() string), opaque: one person's ink. */
function pixelsOf(page: Page, color: string): Promise<number> {
  const rgb = color.match(/\d+/g)?.map(Number) ?? [];
  return page.evaluate(([r, g, b]) => {
    const c = document.querySelector('[data-testid=board]') as HTMLCanvasElement;
    const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255 && data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
    return n;
  }, rgb);
}

/** Inked board pixels between x0 and x1 (board units). */
function inkBetween(page: Page, x0: number, x1: number): Promise<number> {
  return page.evaluate(
    ([a, b]) => {
      const c = document.querySelector('[data-testid=board]') as HTMLCanvasElement;
      const from = Math.floor((a ?? 0) * c.width);
      const to = Math.ceil((b ?? 1) * c.width);
      const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(from, 0, to - from, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
      return n;
    },
    [x0, x1],
  );
}

/** Polls `read` until `ok` holds for its value. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A horizontal swipe across the whole board at height `y`. */
const swipe = (y: number): Stroke[] => [
  { id: 'swipe', points: Array.from({ length: 40 }, (_, i) => [0.02 + (i * 0.96) / 39, y, i * 8] as [number, number, number]) },
];

const savedFile = (name: string, strokes: readonly Stroke[]) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(JSON.stringify({ format: SAVED_DRAWING_FORMAT, version: 1, savedAt: new Date().toISOString(), strokes })),
});

const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));

describe('room page on every screen', () => {
  let stack: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const newPage = async (options: Parameters<Browser['newContext']>[0] = {}) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    contexts.push(context);
    await context.addInitScript(recordShifts);
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    return page;
  };
  const clearBoard = async (page: Page) => {
    await page.getByTestId('clear').click();
    await waitForInk(page, false);
  };

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist is missing: run `npm run build:web` first');
    stack = await startStack({ workers: 1, webDist: WEB_DIST });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.close();
  });

  for (const size of SIZES) {
    it(`${size.name} ${size.viewport.width}×${size.viewport.height}: 1, 4 and 8 digits keep the board still, on screen, with the tools`, async () => {
      const page = await newPage({
        viewport: size.viewport,
        ...(size.touch ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}),
      });
      await enterRoom(page, stack.gateway.url, `Tester ${size.name}`);
      const empty = await layout(page);
      let cleared = 0;
      expectFits(empty, `${size.name}, empty`);
      await screenshot(page, `ui-${size.name}-empty`);
      for (const text of NUMBERS) {
        const draw: (p: Page, s: readonly Stroke[]) => Promise<void> = size.touch ? drawWithTouch : drawWithMouse;
        // Shifts are counted from here: drawing and the predictions that follow. What changed before (the
        // cleared drawing joining the history) is laid out first, so its shift falls before, not in, the count.
        await nextFrames(page);
        await layout(page);
        await draw(page, numberDrawing(text));
        await settledPrediction(page, text.length);
        // Let any late layout work land before measuring.
        await nextFrames(page);
        const after = await layout(page);
        const label = `${size.name}, "${text}"`;
        expectFits(after, label);
        expect(after.scrollY, `${label}: drawing did not scroll the page`).toBe(0);
        for (const part of ['board', 'toolbar', 'prediction', 'charts', 'members'] as const) {
          expect(after.rects[part], `${label}: ${part} did not move or resize`).toEqual(empty.rects[part]);
        }
        // The history grows with each cleared drawing, but does not move.
        expect({ x: after.rects.history?.x, y: after.rects.history?.y }, `${label}: history did not move`).toEqual({
          x: empty.rects.history?.x,
          y: empty.rects.history?.y,
        });
        // Nothing named above moved at all; what is left is sub-pixel text reflow inside the charts, far
        // below anything a person sees (CLS counts 0.1 as "good"; this allows a hundredth of that).
        const shift = after.shifts.reduce((a, e) => a + e.value, 0);
        expect(shift, `${label}: no layout shift: ${JSON.stringify(after.shifts)}`).toBeLessThan(0.001);
        await screenshot(page, `ui-${size.name}-${text.length}-digits`);
        await clearBoard(page);
        // The cleared drawing joins the history (it pushes the older entries down): let that land before
        // the next drawing's shifts are counted.
        cleared++;
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid=history-item]').length >= n, cleared, {
          timeout: 30_000,
        });
      }
      // The tools and dialogs at this size: the eraser on, a drawing from the history open.
      await page.getByTestId('eraser').click();
      expect(await page.getByTestId('eraser').getAttribute('aria-pressed')).toBe('true');
      expectFits(await layout(page), `${size.name}, eraser on`);
      await screenshot(page, `ui-${size.name}-eraser-on`);
      await page.getByTestId('eraser').click();
      await page.getByTestId('history-item').first().click();
      await page.getByTestId('history-draw-again').waitFor();
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('[data-testid=history-detail] img');
        return !!img && img.complete && img.naturalWidth > 0;
      });
      await screenshot(page, `ui-${size.name}-history-detail`);
      await page.keyboard.press('Escape');
      await page.getByTestId('history-detail').waitFor({ state: 'detached' });
    }, 180_000);
  }

  it('holds at every width from 320 to 1920 px with an 8-digit number on the board', async () => {
    const page = await newPage({ viewport: { width: 1280, height: 800 } });
    await enterRoom(page, stack.gateway.url, 'Widths');
    await drawWithMouse(page, numberDrawing('20261125'));
    await settledPrediction(page, 8);
    for (const [width, height] of [
      [320, 568],
      [360, 740],
      [414, 896],
      [600, 960],
      [844, 390],
      [1024, 768],
      [1440, 900],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width, height });
      await nextFrames(page);
      const l = await layout(page);
      expectFits(l, `${width}×${height}`);
      if (width === 320 || width === 1920 || width === 844) await screenshot(page, `ui-width-${width}x${height}-8-digits`);
    }
  }, 120_000);

  it("others' live strokes carry their name at the pen tip, in their colour; the list says who is drawing", async () => {
    const ada = await newPage();
    const grace = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    await enterRoom(ada, stack.gateway.url, 'Ada');
    const link = await ada.getByTestId('share-link').inputValue();
    await enterRoom(grace, link, 'Grace');
    await ada.waitForFunction(() => document.querySelectorAll('[data-testid=members] li').length === 2);

    // Grace's finger is down and moving: half a 3, not lifted yet.
    const box = await grace.getByTestId('board').boundingBox();
    if (!box) throw new Error('no board');
    const points = (digitDrawing(3)[0] as Stroke).points;
    const cdp = await grace.context().newCDPSession(grace);
    const at = (p: readonly number[]) => [{ x: box.x + (p[0] ?? 0) * box.width, y: box.y + (p[1] ?? 0) * box.height, id: 1 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(points[0] as number[]) });
    for (const p of points.slice(1, 20)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(p) });

    const tag = ada.getByTestId('pen-tag');
    await tag.waitFor();
    expect(await tag.textContent()).toBe('Grace');
    const graceItem = ada.locator('[data-testid=members] li', { hasText: 'Grace' });
    await graceItem.getByTestId('drawing-now').waitFor();
    const [tagColor, dotColor] = await Promise.all([
      tag.evaluate((el) => getComputedStyle(el).backgroundColor),
      graceItem.getByTestId('member-color').evaluate((el) => getComputedStyle(el).backgroundColor),
    ]);
    expect(tagColor).toBe(dotColor);
    // The tag sits at the newest point of the stroke (its corner within a few pixels of the pen tip).
    const tip = points[19] as number[];
    const adaBoard = await ada.getByTestId('board').boundingBox();
    const tagBox = await tag.boundingBox();
    if (!adaBoard || !tagBox) throw new Error('no boxes');
    const tipX = adaBoard.x + (tip[0] ?? 0) * adaBoard.width;
    const tipY = adaBoard.y + (tip[1] ?? 0) * adaBoard.height;
    expect(Math.abs(tagBox.x - tipX)).toBeLessThan(tagBox.width + 12);
    expect(Math.abs(tagBox.y + tagBox.height - tipY)).toBeLessThan(16);
    await screenshot(ada, 'ui-presence-pen-tag');

    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await cdp.detach();
    await tag.waitFor({ state: 'detached' });
    await graceItem.getByTestId('drawing-now').waitFor({ state: 'detached', timeout: 5000 });
    // Ink on Ada's board is in Grace's colour.
    const rgb = dotColor.match(/\d+/g)?.map(Number) ?? [];
    const inGraceColour = await ada.evaluate(([r, g, b]) => {
      const c = document.querySelector('[data-testid=board]') as HTMLCanvasElement;
      const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255 && data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
      return n;
    }, rgb);
    expect(inGraceColour).toBeGreaterThan(50);
  }, 60_000);

  it('"New room" starts an empty room; the old link still works for the others', async () => {
    const ada = await newPage();
    await enterRoom(ada, stack.gateway.url, 'Ada');
    const first = await ada.getByTestId('share-link').inputValue();
    await drawWithMouse(ada, digitDrawing(1));
    await waitForInk(ada, true);
    await ada.getByTestId('new-room').click();
    await ada.waitForFunction((old) => {
      const v = (document.querySelector('[data-testid=share-link]') as HTMLInputElement | null)?.value;
      return !!v && v !== old && document.querySelector('[data-testid=connection]')?.textContent === 'live';
    }, first);
    const second = await ada.getByTestId('share-link').inputValue();
    expect(second).toMatch(/\?room=[A-Za-z0-9_-]{8,}$/);
    expect(ada.url()).toBe(second);
    await waitForInk(ada, false);
    expect(await ada.locator('[data-testid=members] li').count()).toBe(1);
    await screenshot(ada, 'ui-new-room');
  });

  it('a dead link offers a new room instead of a dead end (keyboard only)', async () => {
    const page = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    await page.goto(`${stack.gateway.url}/?room=doesNotExist0000`);
    await page.getByTestId('name-input').fill('Linus');
    await page.keyboard.press('Enter');
    await page.getByTestId('dead-link').waitFor();
    expect(await page.getByTestId('dead-link').textContent()).toContain('does not exist');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('dead-link-new-room');
    expect(await page.getByTestId('notice').count()).toBe(0);
    await screenshot(page, 'ui-dead-link');
    // Escape closes it; "New room" is still there.
    await page.keyboard.press('Escape');
    await page.getByTestId('dead-link').waitFor({ state: 'detached' });
    await page.getByTestId('new-room').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'live');
    expect(page.url()).not.toContain('doesNotExist0000');
    expect(page.url()).toBe(await page.getByTestId('share-link').inputValue());
  });

  it('rename: the new name reaches the others, same room, focus back on the name button', async () => {
    const ada = await newPage();
    const grace = await newPage();
    await enterRoom(ada, stack.gateway.url, 'Ada');
    const link = await ada.getByTestId('share-link').inputValue();
    await enterRoom(grace, link, 'Grace');
    await drawWithMouse(ada, digitDrawing(1));
    await waitForInk(grace, true);
    await ada.getByTestId('rename').focus();
    await ada.keyboard.press('Enter');
    await ada.getByTestId('rename-dialog').waitFor();
    expect(await ada.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('rename-input');
    await screenshot(ada, 'ui-rename-dialog');
    await ada.getByTestId('rename-input').fill('Ada Lovelace');
    await ada.keyboard.press('Enter');
    await ada.getByTestId('rename-dialog').waitFor({ state: 'detached' });
    await grace.waitForFunction(() => document.querySelector('[data-testid=members]')?.textContent?.includes('Ada Lovelace'));
    await ada.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'live');
    expect(await ada.getByTestId('share-link').inputValue()).toBe(link);
    expect(await ada.getByTestId('rename').textContent()).toContain('Ada Lovelace');
    expect(await ada.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('rename');
    // Still the author of the 1 (one stroke): undo takes it back.
    await ada.getByTestId('undo').click();
    await waitForInk(grace, false);
    expect(await grace.locator('[data-testid=members] li').count()).toBe(2);
  });

  it('dialogs: Escape closes help and the history detail, focus returns; labels are not contradicted; axe finds nothing serious', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Keyboard');
    await drawWithMouse(page, numberDrawing('42'));
    await settledPrediction(page, 2);
    // The live region reads the number and its confidence in one sentence, not the bars.
    await page.waitForFunction(() =>
      /^Recognized \d+, [\d.]+%(, not sure)?\.$/.test(document.querySelector('[data-testid=announcement]')?.textContent ?? ''),
    );
    const roomViolations = await axeViolations(page);
    expect(roomViolations, JSON.stringify(roomViolations, null, 1)).toEqual([]);

    await page.getByTestId('help-button').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('help').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('help').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('help-button');
    await page.keyboard.press('?');
    await page.getByTestId('help').waitFor();
    await screenshot(page, 'ui-help');
    await page.keyboard.press('Escape');
    await page.getByTestId('help').waitFor({ state: 'detached' });

    // Every action is reachable with Tab.
    const reached = new Set<string>();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      if (id) reached.add(id);
    }
    for (const id of [
      'copy-link',
      'new-room',
      'rename',
      'help-button',
      'recognize',
      'undo',
      'redo',
      'clear',
      'save',
      'load',
      'eraser',
      'label-input',
      'preview-toggle',
    ]) {
      expect(reached, id).toContain(id);
    }

    await page.getByTestId('clear').click();
    await page.getByTestId('history-item').first().waitFor();
    await page.getByTestId('history-item').first().focus();
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('history-detail');
    await detail.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=history-labels]')?.textContent?.includes('predictions recorded'));
    expect(await detail.getByTestId('history-labels').textContent()).toContain('No label yet');
    await detail.getByTestId('label-input').fill('42');
    await detail.getByTestId('label-submit').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=history-detail] [data-testid=label-status]')?.textContent?.includes('Saved'),
    );
    const labels = await detail.getByTestId('history-labels').textContent();
    expect(labels).toContain('Labelled as 42');
    expect(labels).not.toMatch(/none|No label/);
    const dialogViolations = await axeViolations(page);
    expect(dialogViolations, JSON.stringify(dialogViolations, null, 1)).toEqual([]);
    await screenshot(page, 'ui-history-detail-labelled');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('history-item');
  }, 90_000);

  it("eraser: takes your own strokes off for everyone, never someone else's; Undo brings them back, Redo erases again; pointers carry names", async () => {
    const ada = await newPage();
    const grace = await newPage(PHONE);
    await enterRoom(ada, stack.gateway.url, 'Ada');
    await enterRoom(grace, await ada.getByTestId('share-link').inputValue(), 'Grace');
    await ada.waitForFunction(() => document.querySelectorAll('[data-testid=members] li').length === 2);
    const colorOf = (page: Page, name: string) =>
      page
        .locator('[data-testid=members] li', { hasText: name })
        .getByTestId('member-color')
        .evaluate((el) => getComputedStyle(el).backgroundColor);
    const adaColor = await colorOf(grace, 'Ada');
    const graceColor = await colorOf(ada, 'Grace');
    // Whose ink is whose is told by colour here, as a person at the board tells it.
    expect(graceColor, 'two people in one room have different colours').not.toBe(adaColor);
    await drawWithMouse(ada, digitDrawing(1, { x: 0.05, y: 0.2, size: 0.6 }, 'a'));
    await drawWithTouch(grace, digitDrawing(1, { x: 0.45, y: 0.2, size: 0.6 }, 'g'));
    for (const page of [ada, grace]) {
      await until(
        () => pixelsOf(page, adaColor),
        (n) => n > 50,
        "Ada's 1 on the board",
      );
      await until(
        () => pixelsOf(page, graceColor),
        (n) => n > 50,
        "Grace's 1 on the board",
      );
    }

    // Ada takes the eraser from the keyboard and sweeps across both strokes: only hers goes, for both.
    await ada.keyboard.press('e');
    expect(await ada.getByTestId('eraser').getAttribute('aria-pressed')).toBe('true');
    const box = (await ada.getByTestId('board').boundingBox()) as Rect;
    await ada.mouse.move(box.x + 0.02 * box.width, box.y + 0.6 * box.height);
    await ada.mouse.down();
    for (let i = 1; i <= 10; i++) await ada.mouse.move(box.x + (0.02 + i * 0.04) * box.width, box.y + 0.6 * box.height);
    // Touched, not yet erased: faded until the pointer lifts.
    await until(
      () => pixelsOf(ada, adaColor),
      (n) => n === 0,
      "Ada's touched 1 faded",
    );
    expect(await pixelsOf(grace, adaColor)).toBeGreaterThan(50);
    await screenshot(ada, 'ui-laptop-eraser-touching');
    for (let i = 11; i <= 24; i++) await ada.mouse.move(box.x + (0.02 + i * 0.04) * box.width, box.y + 0.6 * box.height);
    await ada.mouse.up();
    for (const page of [ada, grace]) {
      await until(
        () => pixelsOf(page, adaColor),
        (n) => n === 0,
        "Ada's erased 1",
      );
      expect(await pixelsOf(page, graceColor)).toBeGreaterThan(50);
    }
    await screenshot(ada, 'ui-laptop-eraser-erased');
    expect(await ada.getByTestId('notice').count()).toBe(0);

    // Undo brings the erased stroke back for everyone; Redo erases it again; Undo once more.
    await ada.keyboard.press('Control+z');
    await until(
      () => pixelsOf(grace, adaColor),
      (n) => n > 50,
      'undone erase',
    );
    await ada.keyboard.press('Control+Shift+z');
    await until(
      () => pixelsOf(grace, adaColor),
      (n) => n === 0,
      'redone erase',
    );
    await ada.getByTestId('undo').click();
    await until(
      () => pixelsOf(grace, adaColor),
      (n) => n > 50,
      'undone again',
    );

    // Grace erases with her finger across both: only hers goes.
    await grace.getByTestId('eraser').tap();
    await drawWithTouch(grace, swipe(0.6));
    for (const page of [ada, grace]) {
      await until(
        () => pixelsOf(page, graceColor),
        (n) => n === 0,
        "Grace's erased 1",
      );
      expect(await pixelsOf(page, adaColor)).toBeGreaterThan(50);
    }
    await screenshot(grace, 'ui-phone-eraser-erased');

    // Ada's pointer hovering over the board shows on Grace's board with her name, in her colour.
    await ada.keyboard.press('e');
    expect(await ada.getByTestId('eraser').getAttribute('aria-pressed')).toBe('false');
    await ada.mouse.move(box.x + 0.5 * box.width, box.y + 0.3 * box.height);
    await ada.mouse.move(box.x + 0.55 * box.width, box.y + 0.35 * box.height, { steps: 3 });
    const pointer = grace.getByTestId('pointer-tag');
    await pointer.waitFor();
    expect(await pointer.textContent()).toBe('Ada');
    expect(await pointer.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(adaColor);
    await screenshot(grace, 'ui-phone-presence-pointer');
    // Off the board: the marker goes.
    await ada.mouse.move(box.x + box.width + 40, box.y + 10);
    await pointer.waitFor({ state: 'detached' });
  }, 90_000);

  it('the eraser from the keyboard: E, Tab to the board, arrows choose one of your strokes, Enter erases it', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Keys');
    await drawWithMouse(page, digitDrawing(4, { x: 0.2, y: 0.2, size: 0.6 }));
    await settledPrediction(page, 1);
    const full = await inkBetween(page, 0, 1);
    await page.keyboard.press('e');
    // The board joins the Tab order with the eraser on (right after the page's header).
    await page.getByTestId('eraser').focus();
    await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < 10 && (await focusedTestId(page)) !== 'board'; i++) await page.keyboard.press('Shift+Tab');
    expect(await focusedTestId(page)).toBe('board');
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('eraser-choice').waitFor();
    await screenshot(page, 'ui-laptop-eraser-keyboard-choice');
    const violations = await axeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
    await page.keyboard.press('Enter');
    const half = await until(
      () => inkBetween(page, 0, 1),
      (n) => n < full * 0.9,
      'one stroke erased',
    );
    expect(half).toBeGreaterThan(0);
    // Enter was the eraser's, not Recognize's; the page stays as it was otherwise.
    expect(await page.getByTestId('notice').count()).toBe(0);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Backspace');
    await until(
      () => inkBetween(page, 0, 1),
      (n) => n === 0,
      'both strokes erased',
    );
    await page.keyboard.press('Control+z');
    await until(
      () => inkBetween(page, 0, 1),
      (n) => n > 0,
      'the last erase undone',
    );
  }, 60_000);

  it('Load asks whether to replace the board or add to it; Escape changes nothing', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Loader');
    await drawWithMouse(page, digitDrawing(1, { x: 0.02, y: 0.2, size: 0.5 }));
    await until(
      () => inkBetween(page, 0, 0.4),
      (n) => n > 50,
      'the 1 on the left',
    );
    const seven = digitDrawing(7, { x: 0.55, y: 0.2, size: 0.5 }, 'f');
    const choice = page.getByTestId('load-choice');

    await page.getByTestId('load-file').setInputFiles(savedFile('seven.json', seven));
    await choice.waitFor();
    expect(await focusedTestId(page)).toBe('load-replace');
    await screenshot(page, 'ui-laptop-load-choice');
    const violations = await axeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
    await page.keyboard.press('Escape');
    await choice.waitFor({ state: 'detached' });
    expect(await inkBetween(page, 0.5, 1)).toBe(0);

    await page.getByTestId('load-file').setInputFiles(savedFile('seven.json', seven));
    await page.getByTestId('load-add').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=notice]')?.textContent?.includes('Added seven.json to the board.'),
    );
    await until(
      () => inkBetween(page, 0.5, 1),
      (n) => n > 50,
      'the 7 added on the right',
    );
    expect(await inkBetween(page, 0, 0.4)).toBeGreaterThan(50);
    await settledPrediction(page, 2);

    const before = await page.getByTestId('history-item').count();
    await page.getByTestId('load-file').setInputFiles(savedFile('seven.json', seven));
    await page.getByTestId('load-replace').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=notice]')?.textContent?.includes('the previous drawing is in the history'),
    );
    await until(
      () => inkBetween(page, 0, 0.4),
      (n) => n === 0,
      'the 1 gone with the replaced board',
    );
    expect(await inkBetween(page, 0.5, 1)).toBeGreaterThan(50);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=history-item]').length === n + 1, before);
    await screenshot(page, 'ui-laptop-load-replaced');
  }, 60_000);

  it('History on a phone: "Not a digit" read as such, Draw again puts a drawing back, Delete asks and says what happens to labels', async () => {
    const page = await newPage(PHONE);
    await enterRoom(page, stack.gateway.url, 'Historian');
    const roomId = new URL(await page.getByTestId('share-link').inputValue()).searchParams.get('room') ?? '';
    await drawWithTouch(page, digitDrawing(1, { x: 0.02, y: 0.2, size: 0.5 }));
    await settledPrediction(page, 1);

    // A reading of "not a digit" for the board (as a model with that class publishes it) reads as such in
    // the room, and the live region says so in two words.
    const notDigit = {
      digit: 1,
      confidence: 0.1,
      probabilities: Array(10).fill(0.1),
      box: { x: 0, y: 0, width: 1, height: 1 },
      strokeIds: [],
      notDigit: true,
      notDigitProbability: 0.9,
    };
    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    const redis = new Redis(stack.redisUrl);
    try {
      const room = (await pool.query('SELECT revision, current_drawing_id FROM rooms WHERE id = $1', [roomId])).rows[0];
      const prediction: Prediction = {
        roomId,
        drawingId: Number(room.current_drawing_id),
        revision: room.revision,
        text: '',
        digits: [notDigit],
        notDigit: true,
        confidence: 0.1,
        lowConfidence: true,
        modelVersion: 'test',
        latencyMs: 1,
        inferenceMs: 1,
      };
      await redis.publish(redisKeys(stack.prefix).predictions, JSON.stringify(prediction));
      await page.getByTestId('not-digit').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid=announcement]')?.textContent === 'Not a digit.');
      expect(await page.getByTestId('recognized').count()).toBe(0);
      await screenshot(page, 'ui-phone-not-digit');
    } finally {
      redis.disconnect();
    }
    // Buttons are clicked: in headless Chromium the first emulated tap after a CDP touch stroke is swallowed.
    await page.getByTestId('clear').click();
    await waitForInk(page, false);
    await page.getByTestId('history-item').first().waitFor();

    // A stored reading of "not a digit" for the archived drawing (as a model with that class stores it).
    try {
      await pool.query(
        `INSERT INTO predictions (room_id, drawing_id, revision, text, confidence, low_confidence, digits, model_version, latency_ms, inference_ms)
         SELECT $1, d.id, d.final_revision, '', 0.9, false, $2::jsonb, 'test', 1, 1 FROM drawings d WHERE d.room_id = $1 AND d.archived_at IS NOT NULL`,
        [roomId, JSON.stringify([notDigit])],
      );
    } finally {
      await pool.end();
    }
    await page.getByLabel('Refresh history').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=history-reading]')?.textContent === 'Not a digit');
    await page.getByTestId('history-item').first().click();
    const detail = page.getByTestId('history-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('Read as Not a digit');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=history-detail] img');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await screenshot(page, 'ui-phone-history-not-digit');

    // Draw again: the drawing is back on the (empty) board.
    await detail.getByTestId('history-draw-again').click();
    await detail.waitFor({ state: 'detached' });
    await until(
      () => inkBetween(page, 0, 0.4),
      (n) => n > 50,
      'the drawing back on the board',
    );
    await page.waitForFunction(() => document.querySelector('[data-testid=notice]')?.textContent?.includes('is on the board again'));
    await screenshot(page, 'ui-phone-history-drawn-again');

    // Clear it again (a second entry), then delete the newest entry: asked first, with what happens to labels.
    await page.getByTestId('clear').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 2);
    await page.getByTestId('history-item').first().focus();
    await page.keyboard.press('Enter');
    await detail.waitFor();
    await detail.getByTestId('history-delete').focus();
    await page.keyboard.press('Enter');
    const confirm = detail.getByTestId('history-delete-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('labels are deleted with it and no longer count for retraining');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it');
    await screenshot(page, 'ui-phone-history-delete-confirm');
    const violations = await axeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
    await confirm.getByTestId('history-delete-yes').click();
    await detail.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-item]').length === 1);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Refresh history');
    await page.waitForFunction(() => document.querySelector('[data-testid=notice]')?.textContent?.includes('was deleted'));
    await screenshot(page, 'ui-phone-history-deleted');
  }, 90_000);

  it('a refusal reads as a sentence, with the technical detail behind a disclosure', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Undoer');
    await page.getByTestId('undo').click();
    const notice = page.getByTestId('notice');
    await notice.waitFor();
    expect(await notice.locator('p').textContent()).toBe('You have no stroke on this board to undo.');
    expect(await notice.getByTestId('notice-detail').isVisible()).toBe(false);
    await notice.getByText('Technical detail').click();
    expect(await notice.getByTestId('notice-detail').textContent()).toMatch(/^NOTHING_TO_UNDO: /);
    await screenshot(page, 'ui-refusal-detail');
    const violations = await axeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
  });

  it('the status badge shows offline and back, and a screen reader hears each change once', async () => {
    const page = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    await enterRoom(page, stack.gateway.url, 'Offline');
    const badge = () => page.getByTestId('connection').textContent();
    const heard = () => page.getByTestId('status-announcement').textContent();
    await page.context().setOffline(true);
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'offline', undefined, {
      timeout: 2000,
    });
    await page.waitForFunction(() => document.querySelector('[data-testid=status-announcement]')?.textContent?.startsWith('Offline'));
    expect(await heard()).toBe('Offline: keep drawing, strokes are sent when the connection is back.');
    await screenshot(page, 'ui-phone-offline');
    await page.context().setOffline(false);
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent === 'live');
    await page.waitForFunction(() => document.querySelector('[data-testid=status-announcement]')?.textContent?.startsWith('Connected'));
    expect(await badge()).toBe('live');
  });

  it('a stroke the server refuses for good (a full board) is said in words and counted in the status', async () => {
    const page = await newPage();
    await enterRoom(page, stack.gateway.url, 'Filler');
    const strokes = Array.from({ length: LIMITS.maxStrokesPerBoard }, (_, i) => ({
      id: `f${i}`,
      points: [[0.05 + (i % 25) * 0.036, 0.05 + Math.floor(i / 25) * 0.045, 0] as [number, number, number]],
    }));
    const file = { format: SAVED_DRAWING_FORMAT, version: 1, savedAt: new Date().toISOString(), strokes };
    await page
      .getByTestId('load-file')
      .setInputFiles({ name: 'full.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    await page.waitForFunction(() => document.querySelector('[data-testid=notice]')?.textContent?.includes('Loaded full.json'), undefined, {
      timeout: 60_000,
    });
    await drawWithMouse(page, digitDrawing(1, { x: 0.4, y: 0.92, size: 0.05 }));
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=notice] p')?.textContent?.startsWith('A stroke was not accepted'),
    );
    expect(await page.locator('[data-testid=notice] p').textContent()).toBe(
      'A stroke was not accepted: the board is full; clear it to keep drawing.',
    );
    expect(await page.getByTestId('notice-detail').textContent()).toMatch(/^BOARD_FULL: /);
    expect(await page.getByTestId('connection-extra').allTextContents()).toContain('1 stroke refused');
    await screenshot(page, 'ui-stroke-refused');
    // The person lets it go: it leaves the board and the count.
    await page.getByTestId('notice-action').click();
    await page.getByTestId('connection-extra').waitFor({ state: 'detached' });
    // Another refused stroke goes with a new drawing.
    await drawWithMouse(page, digitDrawing(1, { x: 0.6, y: 0.92, size: 0.05 }));
    await page.getByTestId('connection-extra').waitFor();
    await page.getByTestId('clear').click();
    await page.getByTestId('connection-extra').waitFor({ state: 'detached' });
  }, 180_000);

  it('admin page: readable matrix header, a select that fits, a queue table that does not claim 0 completed; axe finds nothing serious', async () => {
    const page = await newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.gateway.url}/admin`);
    const signedOut = await axeViolations(page);
    expect(signedOut, JSON.stringify(signedOut, null, 1)).toEqual([]);
    await page.getByTestId('admin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('admin-signin').click();
    await page.waitForSelector('[data-testid=models] tbody tr');
    await page.waitForSelector('[data-testid=queues] tbody tr');
    const select = await page.getByTestId('retrain-mode').evaluate((el: HTMLSelectElement) => ({
      client: el.clientWidth,
      scroll: el.scrollWidth,
      text: el.options[el.selectedIndex]?.text ?? '',
    }));
    expect(select.scroll).toBeLessThanOrEqual(select.client);
    const header = await page.locator('.cm thead th').first().textContent();
    expect(header).not.toContain('＼');
    const completed = await page
      .locator('[data-testid=queues] tbody tr', { hasText: 'recognition' })
      .locator('td[data-state=completed]')
      .textContent();
    expect(completed?.trim()).not.toBe('0');
    expect(completed).toContain('not kept');
    const violations = await axeViolations(page);
    expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
    await screenshot(page, 'ui-admin');
  }, 60_000);
});
