// Turns "a ring has records" into a mailbox message, so an actor consumes rings inside `handle`
// (state changes only there). The pump is one-shot: the handler drains and arms it again, so a
// ring with records never floods the mailbox. A wait that times out also sends the message,
// which doubles as a periodic tick.
import type { ActorContext } from './actor.js';
import { errorMessage } from '../base/errors.js';

export function armRing(ctx: ActorContext, ringName: string, type: string, timeoutMs: number): void {
  const ring = ctx.ring(ringName);
  if (!ring || ctx.signal.aborted) return;
  ring.waitForData(timeoutMs).then(
    (hasData) => {
      if (!ctx.signal.aborted) ctx.send(ctx.self, { type, ring: ringName, hasData });
    },
    (err: unknown) => ctx.log.error('ring wait failed', { ring: ringName, error: errorMessage(err) }),
  );
}
