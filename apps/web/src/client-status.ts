/**
 * The client's state as a person sees it at a glance: a short label, a tone, and the sentence a screen reader
 * hears once when it changes. Takes the states the client package reports (connecting, live, offline,
 * reconnecting, strokes pending, a stroke refused); the web app maps today's room store onto them.
 */
import type { ClientStatus, ConnectionState } from '@inkling/client';

export type { ClientStatus };
export type ClientConnection = ConnectionState;

export type StatusTone = 'ok' | 'busy' | 'bad';

export interface StatusView {
  /** The badge's word: exactly the connection state (tests and people read it). */
  label: ClientConnection;
  tone: StatusTone;
  /** Extra facts after the badge ("3 strokes waiting"), empty when there are none. */
  extras: string[];
  /** The sentence announced to screen readers when it changes. */
  sentence: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * `showPending`: whether strokes in flight are worth mentioning. On a live connection a stroke is
 * pending for a few milliseconds after every pen lift; saying so each time would be noise, so the caller
 * passes true only once strokes have waited a while (or the connection is not live).
 */
export function statusView(s: ClientStatus, showPending: boolean): StatusView {
  const tone: StatusTone =
    s.connection === 'live' ? 'ok' : s.connection === 'connecting' || s.connection === 'reconnecting' ? 'busy' : 'bad';
  const extras: string[] = [];
  if (s.pendingCount > 0 && (showPending || s.connection !== 'live'))
    extras.push(`${plural(s.pendingCount, 'stroke', 'strokes')} waiting to send`);
  if (s.refusedCount > 0) extras.push(`${plural(s.refusedCount, 'stroke', 'strokes')} refused`);
  const state: Record<ClientConnection, string> = {
    connecting: 'Connecting to the room.',
    live: 'Connected: drawing is shared live.',
    offline: 'Offline: keep drawing, strokes are sent when the connection is back.',
    reconnecting: 'Connection lost; reconnecting.',
    closed: 'Disconnected from the room.',
  };
  const sentence = [state[s.connection], ...extras.map((e) => `${e[0]?.toUpperCase()}${e.slice(1)}.`)].join(' ');
  return { label: s.connection, tone: s.refusedCount > 0 && tone === 'ok' ? 'bad' : tone, extras, sentence };
}
