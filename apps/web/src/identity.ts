/** What the browser remembers: the person's name, and their user id per room (so undo survives reloads). */
import { RoomIdSchema } from '@inkling/protocol';

const NAME_KEY = 'inkling.name';
const userKey = (roomId: string) => `inkling.user.${roomId}`;

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

export function rememberedUserId(roomId: string): string | undefined {
  return storage()?.getItem(userKey(roomId)) ?? undefined;
}

export function rememberUserId(roomId: string, userId: string): void {
  storage()?.setItem(userKey(roomId), userId);
}

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
