// What happens when the reader of the process's output goes away: `edgelake-rt start node.yaml | head`, a `tee`
// that was killed, a terminal that closed. The next write to that pipe fails (EPIPE, or EIO for a terminal), and
// Node emits it as an 'error' event on process.stdout / process.stderr: unhandled, it ends the process. For a
// running node that meant stopping because nobody read its log. A node keeps running instead and drops what it
// would have written to the closed stream; the other stream, if still open, is told once. A client verb (`cmd`, `console`, ...) whose reader
// closed simply ends, as Unix tools do, with the status it would have had (0 when none was set yet).
import type { Writable } from 'node:stream';

/** The errors that mean "nobody reads this stream any more". Any other stays an error. */
const READER_GONE = new Set(['EPIPE', 'EIO', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

const isReaderGone = (err: unknown): boolean =>
  READER_GONE.has(String((err as NodeJS.ErrnoException | undefined)?.code ?? ''));

/** The node's outputs (`start`): a closed one is dropped from then on, the node goes on. */
export function keepRunningWhenOutputCloses(
  streams: { name: string; stream: Writable }[] = [
    { name: 'stdout', stream: process.stdout },
    { name: 'stderr', stream: process.stderr },
  ],
): void {
  const closed = new Set<string>();
  for (const { name, stream } of streams) {
    stream.on('error', (err: unknown) => {
      if (!isReaderGone(err)) throw err;
      if (closed.has(name)) return;
      closed.add(name);
      // Told on the other stream, if it is still read; the node's state does not depend on either.
      for (const other of streams)
        if (!closed.has(other.name) && writable(other.stream))
          other.stream.write(
            `edgelake-rt: ${name} closed by its reader (${codeOf(err)}); the node goes on without it\n`,
          );
    });
  }
}

/** A client verb's output: its reader closed, so the verb ends quietly. */
export function exitWhenOutputCloses(stream: Writable = process.stdout): void {
  stream.on('error', (err: unknown) => {
    if (!isReaderGone(err)) throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

/** Whether a write to `stream` can still reach a reader (a destroyed stream errors on every write). */
export function writable(stream: Writable): boolean {
  return !stream.destroyed && stream.writable;
}

const codeOf = (err: unknown): string => String((err as NodeJS.ErrnoException).code);
