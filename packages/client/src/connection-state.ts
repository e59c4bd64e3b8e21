/**
 * The connection state a client reports, derived from a few facts so that every combination has one
 * answer: `connecting` until the first join, `live` while joined and hearing from the server, `offline`
 * while the device has no network (or the program said so), `reconnecting` after losing a connection
 * that was live, `closed` after `close()` or a refusal to join that retrying cannot fix.
 */
export type ConnectionState = 'connecting' | 'live' | 'offline' | 'reconnecting' | 'closed';

export interface ConnectionFacts {
  closed: boolean;
  /** The platform reports no network, or the program asked to stay offline. */
  offline: boolean;
  /** Joined to the room on the current connection. */
  joined: boolean;
  /** The current connection has been silent too long (liveness). */
  suspect: boolean;
  /** This client has been joined before (so a loss is a *re*connection). */
  everJoined: boolean;
}

export function connectionStateOf(f: ConnectionFacts): ConnectionState {
  if (f.closed) return 'closed';
  if (f.offline) return 'offline';
  if (f.joined && !f.suspect) return 'live';
  return f.everJoined ? 'reconnecting' : 'connecting';
}
