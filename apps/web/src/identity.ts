/**
 * What the browser remembers: the person's name, and the session token the server gave them (who they
 * are, signed by the server, so undo survives reloads). The token is sent in the socket handshake only.
 */
import { RoomIdSchema } from '@inkling/protocol';

const NAME_KEY = 'inkling.name';
const TOKEN_KEY = 'inkling.session';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function rememberedName(): string | null {
  const name = storage()?.getItem(NAME_KEY)?.trim();
  return name ? name : null;
}

export function rememberName(name: string): void {
  storage()?.setItem(NAME_KEY, name.trim());
}

/** Where a room store keeps its session token between page loads (nowhere outside a browser). */
export interface TokenStorage {
  get(): string | null;
  set(token: string): void;
  forget(): void;
}

export const browserTokenStorage: TokenStorage = {
  get: () => storage()?.getItem(TOKEN_KEY) ?? null,
  set: (token) => storage()?.setItem(TOKEN_KEY, token),
  forget: () => storage()?.removeItem(TOKEN_KEY),
};

/** The room named in the page address (`?room=<id>`), if any. */
export function roomFromUrl(href: string): string | undefined {
  const id = new URL(href).searchParams.get('room');
  return id && RoomIdSchema.safeParse(id).success ? id : undefined;
}

export function roomUrl(href: string, roomId: string): string {
  const url = new URL(href);
  url.search = `?room=${encodeURIComponent(roomId)}`;
  url.hash = '';
  return url.toString();
}
