// Actor state the node keeps across a worker's restarts (not across node restarts): an actor puts a snapshot
// when it changes and reads it back in `init`. The node keys it by the sending actor's id, so an actor reads
// only its own, and drops it when the service is stopped for good (`exit`).
// Main side: `Stash` (node.ts owns one). Worker side: `defineStash<T>()` once per actor, then
// `STASH.put(ctx, value)` / `await STASH.get(ctx)`: the value type is declared once, beside the actor, and the
// cast in `get` is the only place a stored value meets it (the node hands back what this actor id put).
import type { ActorContext } from '../runtime/actor.js';
import { NODE } from './messages.js';

export class Stash {
  private readonly byActor = new Map<string, unknown>();

  put(actorId: string, value: unknown): void {
    this.byActor.set(actorId, value);
  }

  get(actorId: string): unknown {
    return this.byActor.get(actorId);
  }

  drop(actorId: string): void {
    this.byActor.delete(actorId);
  }
}

/** One actor's view of its stash, typed by what it puts. */
export interface ActorStash<T> {
  /** Fire and forget (a lost snapshot costs a restarted actor that much history, never correctness). */
  put(ctx: ActorContext, value: T): void;
  /** What this actor put last, undefined on its first start. */
  get(ctx: ActorContext): Promise<T | undefined>;
}

export function defineStash<T>(): ActorStash<T> {
  return {
    put(ctx, value) {
      ctx.send(NODE, { type: 'node.stash.put', value });
    },
    async get(ctx) {
      return (await ctx.ask(NODE, { type: 'node.stash.get' })) as T | undefined;
    },
  };
}
