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
} from '../../base/errors.js';
import { PayloadTooLargeError } from './body.js';

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
