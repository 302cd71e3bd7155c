// The typed error hierarchy (house style: KafkaJS-like, `retriable` and `cause`).
// Errors cross thread boundaries as plain data (`SerializedError`) and are revived
// into the same class on the other side, so `instanceof` works after an `ask`.

export interface ErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** EdgeLake's numeric error code, when the error maps to one (e.g. 2 = command structure). */
  code?: number;
}

export class EdgeRtError extends Error {
  readonly retriable: boolean;
  readonly code: number | undefined;
  override readonly cause: unknown;

  constructor(message: string, opts: ErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
    this.cause = opts.cause;
    this.code = opts.code;
  }
}

/** A configuration value is missing, unknown or of the wrong type. The message names the key path. */
export class ConfigError extends EdgeRtError {}
/** An EdgeLake command could not be parsed or executed. */
export class CommandError extends EdgeRtError {}
/** Bytes on a wire did not match the protocol. */
export class ProtocolError extends EdgeRtError {}
/** A peer node could not be reached or answered badly. */
export class PeerError extends EdgeRtError {}
/** A database operation failed. */
export class DbmsError extends EdgeRtError {}
/** The actor's worker died while a request to it was pending. */
export class ActorExitedError extends EdgeRtError {}
/** An `ask` got no reply in time. */
export class AskTimeoutError extends EdgeRtError {}
/** A bounded mailbox is full: the sender must wait (`whenWritable`) and try again. */
export class MailboxFullError extends EdgeRtError {}
/** No actor is registered under that id, or it is not running. */
export class NoSuchActorError extends EdgeRtError {}
/** The actor failed in `init`, before it replied `ready`. */
export class StartupError extends EdgeRtError {}
/** A supervisor exceeded its restart intensity and gave up. */
export class EscalationError extends EdgeRtError {}

const classes: Record<string, new (m: string, o?: ErrorOptions) => EdgeRtError> = {
  EdgeRtError,
  ConfigError,
  CommandError,
  ProtocolError,
  PeerError,
  DbmsError,
  ActorExitedError,
  AskTimeoutError,
  MailboxFullError,
  NoSuchActorError,
  StartupError,
  EscalationError,
};

export interface SerializedError {
  name: string;
  message: string;
  retriable: boolean;
  /** It was an EdgeRtError (of some subclass). */
  typed?: boolean;
  code?: number;
  stack?: string;
  cause?: SerializedError;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = {
      name: err.name,
      message: err.message,
      retriable: err instanceof EdgeRtError ? err.retriable : false,
    };
    if (err instanceof EdgeRtError) out.typed = true;
    if (err instanceof EdgeRtError && err.code !== undefined) out.code = err.code;
    if (err.stack !== undefined) out.stack = err.stack;
    if (err.cause !== undefined) out.cause = serializeError(err.cause);
    return out;
  }
  return { name: 'Error', message: String(err), retriable: false };
}

export function reviveError(s: SerializedError): Error {
  const Cls = classes[s.name];
  const opts: ErrorOptions = { retriable: s.retriable };
  if (s.code !== undefined) opts.code = s.code;
  if (s.cause !== undefined) opts.cause = reviveError(s.cause);
  // A typed error of a class this thread does not know (a command's own subclass) stays typed and
  // keeps its name and code; an untyped one (TypeError...) stays a plain Error.
  const err = Cls
    ? new Cls(s.message, opts)
    : Object.assign(
        s.typed ? new EdgeRtError(s.message, opts) : new Error(s.message, opts.cause ? { cause: opts.cause } : {}),
        { name: s.name },
      );
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exhaustiveness guard for discriminated unions: every `switch` on `type` ends here. */
export function assertNever(x: never, what = 'value'): never {
  throw new EdgeRtError(`unexpected ${what}: ${JSON.stringify(x)}`);
}
