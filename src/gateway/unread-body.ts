/**
 * A request answered before its body was read (refused, unknown, a preflight): the rest of that
 * body is not read, so a client sending gigabytes to a URL that does not exist costs no CPU or
 * memory here, and the connection is closed UNREAD_LINGER_MS later. Closing at once would lose
 * the answer: a socket closed with unread data sends a reset, and the client's kernel drops what
 * the client had not read yet. `req.resume()` (or letting Node discard the body when the response
 * ends) would instead read the whole body, however large, to its end.
 *
 * Call before writing the answer; it does nothing for a request without a body or one read whole.
 */
import type { IncomingMessage } from 'node:http';
import { declaredLength } from './read-body.js';

/** How long the rest of a refused body may keep arriving before its connection is closed. */
export const UNREAD_LINGER_MS = 2_000;

export function leaveBodyUnread(req: IncomingMessage): void {
  if (req.complete || !hasBody(req)) return;
  // Paused with a read started, the request counts as consumed, so Node does not discard the
  // rest for us (discarding reads all of it); its backpressure then stops reading the socket.
  req.pause();
  req.read(0);
  const socket = req.socket;
  const linger = setTimeout(() => socket.destroy(), UNREAD_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** Whether a request carries a body at all (a GET usually has neither header). */
function hasBody(req: IncomingMessage): boolean {
  return (declaredLength(req) ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}
