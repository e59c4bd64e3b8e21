/**
 * Ink drawn in the browser during a network cut, across a reload, lands exactly once (issue 10). Ada's
 * WebSocket goes through Playwright's WebSocket routing, which this test turns into a network it can cut
 * silently (every frame dropped, as a dead Wi-Fi does) or that loses the answers to Ada's stroke commits
 * (acks and broadcasts: the server has the stroke, Ada does not know); the browser also goes offline as it
 * sees it (`context.setOffline`). Grace watches from a normal page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { digitDrawing } from '@inkling/protocol';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawWithMouse, enterRoom, inkedPixels, launchBrowser, screenshot, waitForInk } from './support/browser.js';
import { query } from './support/database.js';
import { ROOT, type Stack, startStack } from './support/stack.js';

const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');
/** The bound issue 10 sets for showing that the network is gone. */
const REPORT_BOUND_MS = 2000;

/** What happens to the frames of Ada's WebSocket connections. */
type Link = 'up' | 'silent' | 'commit-answers-lost';

describe('offline delivery in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let adaContext: BrowserContext;
  let ada: Page;
  let grace: Page;
  let roomId: string;
  /** Applies to connections opened from now on; `cutConnections` changes those already open. */
  let newLinks: Link = 'up';
  const open = new Map<WebSocketRoute, Link>();

  const cutConnections = (link: Link) => {
    // A new connection during a silent cut gets no further than the old one could.
    newLinks = link === 'silent' ? 'silent' : 'up';
    for (const ws of open.keys()) open.set(ws, link);
  };
  /** Lets connections through again; those that lost frames are closed, as after a real outage. */
  const heal = async () => {
    newLinks = 'up';
    for (const [ws, link] of [...open]) {
      if (link === 'up') continue;
      open.delete(ws);
      await ws.close().catch(() => undefined);
    }
  };
  const badge = (page: Page) => page.getByTestId('connection').textContent();
  /**
   * Starts watching the page: when its badge first stops saying "live", and when the browser fired
   * `offline`, both on the page's clock (the system clock, as `Date.now()` here), so the time a person
   * waits is measured without the test's own polling and round trips.
   */
  const watchBadge = (page: Page) =>
    page.evaluate(() => {
      const seen = window as unknown as { notLiveAt?: number; offlineAt?: number };
      seen.notLiveAt = undefined;
      seen.offlineAt = undefined;
      window.addEventListener('offline', () => (seen.offlineAt ??= Date.now()), { once: true });
      const observer = new MutationObserver(() => {
        if (document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live') return;
        seen.notLiveAt = Date.now();
        observer.disconnect();
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  const badgeWatch = async (page: Page) => {
    await page.waitForFunction(() => (window as unknown as { notLiveAt?: number }).notLiveAt !== undefined, null, { polling: 50 });
    return page.evaluate(() => {
      const seen = window as unknown as { notLiveAt: number; offlineAt?: number };
      return { notLiveAt: seen.notLiveAt, offlineAt: seen.offlineAt };
    });
  };
  /** Strokes stored for the room, by stroke id: how many copies of each. */
  const storedCopies = async () => {
    const { rows } = await query(
      stack,
      'SELECT s.stroke_id, count(*)::int AS n FROM strokes s JOIN drawings d ON d.id = s.drawing_id WHERE d.room_id = $1 GROUP BY s.stroke_id',
      [roomId],
    );
    return rows.map((r) => r.n as number);
  };
  /** Records in the page's outbox (IndexedDB), read the way the client stores them. */
  const storedPending = (page: Page) =>
    page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const req = indexedDB.open('inkling-outbox');
          req.onsuccess = () => {
            const db = req.result;
            if (!db.objectStoreNames.contains('strokes')) return resolve(0);
            const count = db.transaction('strokes').objectStore('strokes').count();
            count.onsuccess = () => resolve(count.result);
            count.onerror = () => reject(count.error);
          };
          req.onerror = () => reject(req.error);
        }),
    );

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('apps/web/dist is missing: run `npm run build:web` first');
    stack = await startStack({ workers: 1, webDist: WEB_DIST });
    browser = await launchBrowser();
    adaContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await adaContext.routeWebSocket(/\/socket\.io\//, (ws) => {
      const link = newLinks;
      open.set(ws, link);
      if (link !== 'up') {
        ws.onMessage(() => undefined); // nobody at the other end
        return;
      }
      const server = ws.connectToServer();
      // Socket.IO frames: `42<id>["stroke:commit",…]` is a commit sent with ack id <id>, `43<id>[…]` its ack.
      const commitAcks = new Set<string>();
      ws.onMessage((m) => {
        if (open.get(ws) === 'silent') return;
        const commit = typeof m === 'string' ? /^42(\d+)\["stroke:commit"/.exec(m) : null;
        if (commit?.[1]) commitAcks.add(commit[1]);
        server.send(m);
      });
      server.onMessage((m) => {
        const state = open.get(ws);
        if (state === 'silent') return;
        if (state === 'commit-answers-lost' && typeof m === 'string') {
          const ack = /^43(\d+)\[/.exec(m);
          if ((ack?.[1] && commitAcks.has(ack[1])) || m.startsWith('42["stroke:committed"')) return;
        }
        ws.send(m);
      });
      ws.onClose(() => {
        open.delete(ws);
        server.close();
      });
      server.onClose(() => {
        open.delete(ws);
        void ws.close().catch(() => undefined);
      });
    });
    ada = await adaContext.newPage();
    grace = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    for (const page of [ada, grace]) {
      page.on('pageerror', (err) => {
        throw err;
      });
    }
    await enterRoom(ada, stack.gateway.url, 'Ada');
    const link = await ada.getByTestId('share-link').inputValue();
    roomId = new URL(link).searchParams.get('room') as string;
    await enterRoom(grace, link, 'Grace');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('a silent cut shows within 2 s; a stroke drawn during it survives a reload and arrives exactly once', async () => {
    await watchBadge(ada);
    const cutAt = Date.now();
    cutConnections('silent');
    const { notLiveAt } = await badgeWatch(ada);
    expect(notLiveAt - cutAt).toBeLessThan(REPORT_BOUND_MS);
    expect(await badge(ada)).toBe('reconnecting');

    await drawWithMouse(ada, digitDrawing(1, { x: 0.15, y: 0.2, size: 0.6 }));
    await waitForInk(ada, true);
    await expect.poll(() => storedPending(ada), { timeout: 5000 }).toBe(1);
    await screenshot(ada, 'offline-01-drawn-during-cut');
    expect(await inkedPixels(grace)).toBe(0);

    await ada.reload();
    await ada.getByTestId('board').waitFor();
    await waitForInk(ada, true); // the pending stroke is back from IndexedDB before any connection
    expect(await badge(ada)).not.toBe('live');
    await screenshot(ada, 'offline-02-reloaded-still-cut');

    await heal();
    await waitForInk(grace, true);
    await ada.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live');
    await expect.poll(() => storedPending(ada), { timeout: 5000 }).toBe(0);
    expect(await storedCopies()).toEqual([1]);
  });

  it('going offline shows at once; a stroke whose acknowledgement was lost is not doubled by a reload', async () => {
    await watchBadge(ada);
    await adaContext.setOffline(true);
    const { notLiveAt, offlineAt } = await badgeWatch(ada);
    expect(notLiveAt - (offlineAt ?? Number.NaN)).toBeLessThan(REPORT_BOUND_MS);
    expect(await badge(ada)).toBe('offline');
    await adaContext.setOffline(false);
    await ada.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live');

    // The server receives the stroke and commits it; the answers never reach Ada (the connection stays up).
    cutConnections('commit-answers-lost');
    const before = await inkedPixels(grace);
    await drawWithMouse(ada, digitDrawing(1, { x: 0.55, y: 0.2, size: 0.6 }));
    await grace.waitForFunction((n) => {
      const c = document.querySelector('[data-testid=board]') as HTMLCanvasElement;
      const data = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) inked++;
      return inked > n;
    }, before);
    await expect.poll(() => storedCopies(), { timeout: 5000 }).toEqual([1, 1]);
    await expect.poll(() => storedPending(ada), { timeout: 5000 }).toBe(1); // Ada still waits for the answer

    await ada.reload();
    await heal();
    await ada.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live');
    await expect.poll(() => storedPending(ada), { timeout: 5000 }).toBe(0);
    expect(await storedCopies()).toEqual([1, 1]);
    await screenshot(ada, 'offline-03-after-reload-exactly-once');
  });
});
