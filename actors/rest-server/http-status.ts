// Which HTTP status an error gets. EdgeLake answers every failed command with 400; edgelake-rt keeps 400 (and 413)
// for what the client can fix: a wrong command, verb, header, name, body or query (CommandError, ProtocolError,
// ConfigError, a query's SQL error or timeout). A 5xx means the node's own fault: a bug (an untyped error), a worker
// that exited or did not answer (500), a full mailbox or a dbms that is down (503). Each 5xx is logged with its
// cause by the caller.
import {
  ActorExitedError,
  AskTimeoutError,
  DbmsError,
  EdgeRtError,
  EscalationError,
  MailboxFullError,
  NoSuchActorError,
  StartupError,
  errorMessage,
} from '../../base/errors.js';
import { PayloadTooLargeError } from './body.js';
import type { ActorContext } from '../../runtime/actor.js';
import type { RestIn } from './messages.js';
import { Status } from '../../base/status.js';

export function httpStatusOf(err: unknown): number {
  if (err instanceof PayloadTooLargeError) return 413;
  if (!(err instanceof EdgeRtError)) return 500;
  if (err instanceof MailboxFullError) return 503;
  if (
    err instanceof ActorExitedError ||
    err instanceof AskTimeoutError ||
    err instanceof NoSuchActorError ||
    err instanceof StartupError ||
    err instanceof EscalationError
  )
    return 500;
  // A retriable failure without a client error code: the node could not do it now (a dbms down, a pool restarting).
  if (err.retriable && err instanceof DbmsError) return 503;
  return 400;
}

export function errCode(err: unknown): number {
  return err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.ProcessFailure;
}

/** A 5xx is the node's own fault: logged with its cause (the reply has the one-line reason). */
export function logFault(ctx: ActorContext<RestIn>, err: unknown, method: string, what: string): void {
  const cause = err instanceof Error && err.cause !== undefined ? errorMessage(err.cause) : undefined;
  ctx.log.error('REST request failed on the node', {
    method,
    what: what.slice(0, 200),
    error: errorMessage(err),
    ...(cause !== undefined ? { cause } : {}),
    ...(err instanceof Error && !(err instanceof EdgeRtError) && err.stack ? { stack: err.stack } : {}),
  });
}
