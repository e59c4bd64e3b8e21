/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), plus helpers that act like a
 * person on the room page: draw strokes with the mouse or a finger, read what the board shows.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stroke } from '@inkling/protocol';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './stack.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens `url` and answers the name prompt; resolves when the room is live. */
export async function enterRoom(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('name-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live');
}

async function boardBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.getByTestId('board').boundingBox();
  if (!box) throw new Error('the board is not visible');
  return box;
}

/** Draws strokes (board units) with mouse events, point by point. */
export async function drawWithMouse(page: Page, strokes: readonly Stroke[]): Promise<void> {
  const box = await boardBox(page);
  for (const s of strokes) {
    const [first, ...rest] = s.points;
    if (!first) continue;
    await page.mouse.move(box.x + first[0] * box.width, box.y + first[1] * box.height);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * box.width, box.y + y * box.height);
    await page.mouse.up();
  }
}

/** Draws strokes with touch events through the DevTools protocol (a finger on a phone). */
export async function drawWithTouch(page: Page, strokes: readonly Stroke[]): Promise<void> {
  const box = await boardBox(page);
  const cdp = await page.context().newCDPSession(page);
  for (const s of strokes) {
    const at = (p: readonly number[]) => [{ x: box.x + (p[0] ?? 0) * box.width, y: box.y + (p[1] ?? 0) * box.height, id: 1 }];
    const [first, ...rest] = s.points;
    if (!first) continue;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(first) });
    for (const p of rest) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(p) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}

/** How many board pixels carry ink (non-transparent). */
export function inkedPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=board]') as HTMLCanvasElement;
    const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
    return n;
  });
}

export async function waitForInk(page: Page, present: boolean, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while ((await inkedPixels(page)) > 0 !== present) {
    if (Date.now() > end) throw new Error(`board ${present ? 'stayed empty' : 'still shows ink'}`);
    await page.waitForTimeout(50);
  }
}

export async function recognizedText(page: Page, expected: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('[data-testid=recognized]')?.textContent?.trim() === t, expected, { timeout });
}
