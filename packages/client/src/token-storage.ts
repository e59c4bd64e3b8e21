/**
 * Where a client keeps the session token the server gave it (its identity): the browser's localStorage,
 * so undo and pending strokes keep their author across reloads, or memory in a Node program (one
 * identity per client object unless the program stores it elsewhere).
 */
export interface TokenStorage {
  get(): string | null;
  set(token: string): void;
  forget(): void;
}

export function memoryTokenStorage(initial: string | null = null): TokenStorage {
  let token = initial;
  return {
    get: () => token,
    set: (t) => {
      token = t;
    },
    forget: () => {
      token = null;
    },
  };
}

/** The key the web app has always used, so a token survives an upgrade of the client. */
export const DEFAULT_TOKEN_KEY = 'inkling.session';

function localStorageOrNull(): Storage | null {
  try {
    return typeof globalThis.localStorage === 'object' ? globalThis.localStorage : null;
  } catch {
    return null; // access denied (sandboxed frame, storage disabled)
  }
}

/** localStorage under `key`; memory when the page may not use localStorage. */
export function localStorageTokenStorage(key = DEFAULT_TOKEN_KEY): TokenStorage {
  const storage = localStorageOrNull();
  if (!storage) return memoryTokenStorage();
  return {
    get: () => storage.getItem(key),
    set: (token) => storage.setItem(key, token),
    forget: () => storage.removeItem(key),
  };
}

/** localStorage in a browser, memory elsewhere. */
export function defaultTokenStorage(): TokenStorage {
  return localStorageOrNull() ? localStorageTokenStorage() : memoryTokenStorage();
}
