// Typed addressing (runtime/address.ts). Most of what it promises is checked by `tsc` (npm test runs it over the
// tests too): each `@ts-expect-error` below fails the type check if the line it marks ever compiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorAddress, type ActorAddress, type Ask, type AskMessage, type ReplyOf } from '../../runtime/address.js';
import type { ActorMessage } from '../../runtime/wire.js';

interface Info {
  port: number;
}

type In =
  Ask<{ type: 'x.info' }, Info> | Ask<{ type: 'x.saved' }, string | undefined> | { type: 'x.routes'; routes: string[] };

const X = actorAddress<In>('x');

/** What ActorContext.ask and NodeApi.ask declare, recording what they were given. */
interface Recorder {
  sent: [string, ActorMessage][];
  ask<To extends ActorMessage, T extends To['type']>(to: ActorAddress<To>, msg: AskMessage<To, T>): ReplyOf<To, T>;
  send<To extends ActorMessage>(to: ActorAddress<To>, msg: NoInfer<To>): void;
}

function recorder(): Recorder {
  const sent: [string, ActorMessage][] = [];
  return {
    sent,
    ask(to, msg) {
      sent.push([to, msg]);
      return undefined as never;
    },
    send(to, msg) {
      sent.push([to, msg]);
    },
  };
}

test('an address is its actor id at run time, and messages travel unchanged', () => {
  const r = recorder();
  r.send(X, { type: 'x.routes', routes: ['a/#'] });
  r.ask(X, { type: 'x.info' });
  assert.equal(X, 'x');
  assert.deepEqual(r.sent, [
    ['x', { type: 'x.routes', routes: ['a/#'] }],
    ['x', { type: 'x.info' }],
  ]);
});

/** Never called: the type checker reads it (npm test fails when a marked line compiles or a plain one does not). */
export function typeChecks(r: Recorder): unknown[] {
  const info: Info = r.ask(X, { type: 'x.info' });
  const saved: string | undefined = r.ask(X, { type: 'x.saved' });
  // @ts-expect-error the reply of x.info is Info, not a string
  const wrong: string = r.ask(X, { type: 'x.info' });
  // An undeclared reply is unknown: it cannot be used without a declaration.
  const none = r.ask(X, { type: 'x.routes', routes: [] });
  // @ts-expect-error unknown is not a string
  const used: string = none;
  // @ts-expect-error not a member of the target's mailbox
  r.send(X, { type: 'x.nope' });
  // @ts-expect-error a member with a wrong field
  r.send(X, { type: 'x.routes', routes: [1] });
  // @ts-expect-error an unknown field
  r.ask(X, { type: 'x.info', extra: 1 });
  // @ts-expect-error a plain string is not an address
  r.send('x', { type: 'x.routes', routes: [] });
  // The untyped address (control socket, test fixtures) takes any message and answers unknown.
  const any: unknown = r.ask(actorAddress<ActorMessage>('y'), { type: 'y.anything', n: 1 });
  return [info, saved, wrong, used, any];
}
