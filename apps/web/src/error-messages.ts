/**
 * What a person reads when something is refused or fails: a sentence in plain words for every error code
 * the gateway, the HTTP API and the client can produce. The server's own message (field paths, limits) is
 * kept as the technical detail, shown only on request.
 */

import type { ErrorCode } from '@inkling/protocol';

/** Codes that are not in the protocol's ERROR_CODES yet (or never will be: client-side). */
export type ExtraCode =
  | 'INVALID_TOKEN'
  | 'UNKNOWN_EVENT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'NETWORK'
  | 'HTTP'
  | 'INVALID_DRAWING_FILE'
  | 'NOT_FOUND';

export interface HumanError {
  /** One sentence for the person, no jargon, says what happens next when that is known. */
  text: string;
  /** The stable code and the raw message, for a "technical detail" disclosure; null when there is nothing more to say. */
  detail: string | null;
}

/** Every code we know, with its sentence. Typed as a record over the protocol's codes plus ours so a new one fails to compile here. */
const MESSAGES: Record<ErrorCode | ExtraCode, string> = {
  INVALID_PAYLOAD: 'The server could not accept that change: it did not have the expected form.',
  NOT_IN_ROOM: 'You are not connected to the room right now. Reconnecting…',
  ROOM_NOT_FOUND: 'This room does not exist. The link may be mistyped, or the room is gone.',
  ROOM_EXPIRED: 'This room has expired and its board is gone. Start a new room to keep drawing.',
  BOARD_FULL: 'The board is full. Clear it (it goes to the history) to keep drawing.',
  DUPLICATE_STROKE: 'That stroke is already on the board.',
  NOTHING_TO_UNDO: 'You have no stroke on this board to undo.',
  NOTHING_TO_REDO: 'There is nothing of yours to redo.',
  UNKNOWN_REVISION: 'That drawing cannot be labelled any more: it changed or was cleared.',
  NOT_YOUR_STROKE: 'The eraser only removes your own strokes; that one is someone else’s.',
  STROKE_NOT_FOUND: 'That stroke is already gone from the board. Nothing was erased.',
  RATE_LIMITED: 'That was a lot at once. Wait a moment and try again.',
  INTERNAL: 'Something went wrong on the server. Try again in a moment.',
  INVALID_TOKEN: 'Your session could not be confirmed, so you are joining again as a new visitor.',
  UNKNOWN_EVENT: 'This page is older than the server. Reload the page to update it.',
  PAYLOAD_TOO_LARGE: 'That was too large to send. Try a smaller drawing or fewer strokes.',
  UNAVAILABLE: 'The server is busy or restarting. Trying again shortly.',
  NETWORK: 'The server did not answer. Check your connection; Inkling keeps trying.',
  HTTP: 'The server answered with an error. Try again in a moment.',
  NOT_FOUND: 'That drawing is no longer in the history.',
  INVALID_DRAWING_FILE: 'That file cannot be loaded: it is not an Inkling drawing (.json) or a picture Inkling can read.',
};

export function isKnownCode(code: string): code is keyof typeof MESSAGES {
  return Object.hasOwn(MESSAGES, code);
}

/** The sentence for `code`, with `raw` (the server's message) kept as the detail. */
export function humanError(code: string | null | undefined, raw: string): HumanError {
  if (code && isKnownCode(code)) return { text: MESSAGES[code], detail: `${code}: ${raw}` };
  if (code) return { text: 'Something went wrong. Try again in a moment.', detail: `${code}: ${raw}` };
  return { text: raw, detail: null };
}

/** Any thrown value: errors that carry a stable `code` get the sentence, others (already written for people) keep their message. */
export function humanizeThrown(err: unknown): HumanError {
  const coded = err as { code?: unknown; message?: unknown } | null;
  if (coded && typeof coded === 'object' && typeof coded.code === 'string') {
    return humanError(coded.code, typeof coded.message === 'string' ? coded.message : '');
  }
  return humanError(null, err instanceof Error ? err.message : String(err));
}

/** When a refused stroke is the subject: a sentence that says so, for codes that refuse a stroke for good. */
export function strokeRefusal(code: string, raw: string): HumanError {
  const why =
    code === 'BOARD_FULL'
      ? 'the board is full; clear it to keep drawing'
      : code === 'PAYLOAD_TOO_LARGE'
        ? 'it was too large to send'
        : code === 'INVALID_PAYLOAD'
          ? 'the server could not read it'
          : null;
  return why ? { text: `A stroke was not accepted: ${why}.`, detail: `${code}: ${raw}` } : humanError(code, raw);
}
