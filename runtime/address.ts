// Typed addressing: an actor id that names the message union its actor accepts, and the reply each
// message is answered with, so that a `send` is checked against the target's mailbox and an `ask`'s
// reply type comes from the message asked, not from the caller's guess.
//   type BrokerIn = Ask<{ type: 'broker.info' }, BrokerInfo> | { type: 'broker.routes'; routes: .. };
//   const BROKER = actorAddress<BrokerIn>('message-broker');
//   const info = await ctx.ask(BROKER, { type: 'broker.info' });   // info: BrokerInfo
// Types only: an address is still the id string on the wire, in logs and as a Map key, and the reply marker
// never exists at run time. `actorAddress` is where a string becomes an address: each actor's messages.ts
// makes its own, once.
import type { ActorMessage } from './wire.js';

declare const accepts: unique symbol;
declare const replies: unique symbol;

/** An actor id whose mailbox takes `In`. A plain string is not one. */
export type ActorAddress<In extends ActorMessage> = string & { readonly [accepts]: In };

/** Names `id` as an actor whose mailbox takes `In` (a multi-instance actor: a function of its id). */
export function actorAddress<In extends ActorMessage>(id: string): ActorAddress<In> {
  return id as ActorAddress<In>;
}

/**
 * A mailbox member answered with `R` when asked. The marker is an optional property that is never set; its
 * box (`{ r: R }`) tells a declared reply of `undefined` apart from no declared reply.
 */
export type Ask<M extends ActorMessage, R> = M & { readonly [replies]?: { r: R } };

/** The member of `In` whose `type` is `T` (any message, for the untyped `ActorAddress<ActorMessage>`). */
export type MessageOf<In extends ActorMessage, T extends string> = string extends In['type']
  ? In
  : Extract<In, { readonly type: T }>;

/** What asking `In`'s member `T` resolves to: its declared reply, else `unknown` (a caller cannot use it). */
export type ReplyOf<In extends ActorMessage, T extends string> =
  MessageOf<In, T> extends { readonly [replies]?: infer B } ? (B extends { r: infer R } ? R : unknown) : unknown;

/** An `ask`'s message: the member of `In` named by its `type` literal (which also infers `T`). */
export type AskMessage<In extends ActorMessage, T extends In['type']> = MessageOf<In, T> & { readonly type: T };
