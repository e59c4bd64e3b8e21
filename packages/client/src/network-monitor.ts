/**
 * What the platform knows about the network: in a browser `navigator.onLine` and the `online` / `offline`
 * events of `window` (Chromium fires `offline` at once when the device loses its network); elsewhere
 * nothing, and the client relies on its liveness probes alone.
 */
export interface NetworkMonitor {
  /** False only when the platform is sure there is no network. */
  isOnline(): boolean;
  /** Calls `listener` on every change; returns the function that stops listening. */
  subscribe(listener: (online: boolean) => void): () => void;
}

interface BrowserLike {
  navigator?: { onLine?: boolean };
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/** The browser's view of the network, or null outside a browser. */
export function browserNetworkMonitor(global: BrowserLike = globalThis as BrowserLike): NetworkMonitor | null {
  const add = global.addEventListener;
  const remove = global.removeEventListener;
  if (typeof add !== 'function' || typeof remove !== 'function' || typeof global.navigator?.onLine !== 'boolean') return null;
  return {
    isOnline: () => global.navigator?.onLine !== false,
    subscribe(listener) {
      const online = () => listener(true);
      const offline = () => listener(false);
      add.call(global, 'online', online);
      add.call(global, 'offline', offline);
      return () => {
        remove.call(global, 'online', online);
        remove.call(global, 'offline', offline);
      };
    },
  };
}
