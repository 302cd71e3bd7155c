// A data PUT's body read in bounded pieces (issue 12, item 6: a 66 MB PUT took the node from 150 MB to 961 MB
// when the body was held as a string and parsed whole into 500k objects). The bytes are scanned as they arrive
// for the boundaries of the top-level rows; every ~CHUNK_BYTES (512 KB) of whole rows become one JSON array text, which
// `parseRowsBody` (body.ts) checks and whose keys it collects, and the parsed objects are dropped at once. What
// stays in memory is the rows' bytes (what the journal stores, as received), never the objects of the whole body.
//
//   body    := ws* ( '[' ws* ( row ( ws* ',' ws* row )* )? ws* ']' ws*     one JSON array
//                  | row ( ws* row )* )                                      one object, or objects one per line
//   row     := a JSON value, delimited by bracket depth outside strings
//
// The scan only finds where each row starts and ends (depth of {}/[] outside strings, string escapes);
// each piece is then validated whole: by protocols/frames/rows-scan.ts's scan (no objects built) when the splitter's user needs
// only the bytes, count and keys (mode streaming), else, or when that scan is not sure, by JSON.parse
// (`parseRowsBody`), so a malformed row is still reported as bad JSON with the same message.
import type { IncomingMessage } from 'node:http';
import { ProtocolError } from '../../base/errors.js';
import { PayloadTooLargeError, parseRowsBody } from './body.js';
import { scanRows } from '../../protocols/frames/rows-scan.js';

/** Whole rows are gathered up to about this many bytes before a piece is parsed and handed on. */
export const CHUNK_BYTES = 512 * 1024;

export interface RowsChunk {
  /** `[{...},{...}]`: the rows' own bytes joined by commas (UTF-8, as received). */
  bytes: Buffer;
  count: number;
  keys: string[];
  /**
   * Whether a row names a top-level key twice, when the scan validated the piece (rows-scan.ts); undefined after
   * JSON.parse, which does not say (the journal entry is then walked by the writer).
   */
  repeats?: boolean | undefined;
  /** The parsed rows (parsed on demand when the scan validated the piece): only for the callback's time. */
  rows(): Record<string, unknown>[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Incremental splitter: `push` bytes, then `end()`; `onChunk` gets the pieces in order. Holds the rows of the
 * piece being gathered plus at most one incomplete row.
 */
export class RowsSplitter {
  /** 'start': nothing but whitespace yet; 'array': inside the top-level array; 'rows': objects one after another. */
  private shape: 'start' | 'array' | 'rows' | 'closed' = 'start';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Bytes of the current incomplete row (copied out of the socket's chunks). */
  private partial: Buffer[] = [];
  private rowStarted = false;
  /** Whole rows of the piece being gathered. */
  private rows: Buffer[] = [];
  private rowsBytes = 0;
  /** In 'array': a ',' was seen and a row must follow. */
  private expectRow = false;
  private total = 0;

  constructor(
    private readonly onChunk: (c: RowsChunk) => void,
    readonly chunkBytes = CHUNK_BYTES,
    /** The user reads `rows()` of every piece: JSON.parse validates (the objects are needed anyway). */
    private readonly objects = true,
  ) {}

  get rowsSeen(): number {
    return this.total;
  }

  push(buf: Buffer): void {
    let rowFrom = this.rowStarted ? 0 : -1;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (this.rowStarted) {
        if (this.inString) {
          if (this.escape) this.escape = false;
          else if (c === BACKSLASH) this.escape = true;
          else if (c === QUOTE) this.inString = false;
          continue;
        }
        if (this.depth === 0) {
          // A scalar row (a number, true, a string ended above): ends at a separator; parseRowsBody refuses it.
          if (c === COMMA || isWs(c) || c === CLOSE_BRACKET || c === CLOSE_BRACE) {
            this.endRow(buf.subarray(Math.max(rowFrom, 0), i));
            rowFrom = -1;
            i--; // the separator is looked at again outside the row
          } else if (c === QUOTE) this.inString = true;
          continue;
        }
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --this.depth === 0) {
          this.endRow(buf.subarray(rowFrom, i + 1));
          rowFrom = -1;
        }
        continue;
      }
      if (isWs(c)) continue;
      if (this.shape === 'closed') throw new ProtocolError('body is not JSON: data after the closing ]');
      if (this.shape === 'start' && c === OPEN_BRACKET) {
        this.shape = 'array';
        continue;
      }
      if (this.shape === 'start') this.shape = 'rows';
      if (this.shape === 'array' && c === CLOSE_BRACKET) {
        if (this.expectRow) throw new ProtocolError('body is not JSON: a "," before "]"');
        this.shape = 'closed';
        continue;
      }
      if (this.shape === 'array' && c === COMMA) {
        if (this.expectRow || this.total + this.rows.length === 0)
          throw new ProtocolError('body is not JSON: a "," where a row should be');
        this.expectRow = true;
        continue;
      }
      if (this.shape === 'array' && !this.expectRow && this.total + this.rows.length > 0)
        throw new ProtocolError(`body is not JSON: expected "," or "]" after row ${this.total + this.rows.length}`);
      if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE)
        throw new ProtocolError(`body is not JSON: unexpected "${String.fromCharCode(c)}" where a row should start`);
      // A row starts here.
      this.rowStarted = true;
      this.expectRow = false;
      rowFrom = i;
      this.depth = 0;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth = 1;
    }
    if (this.rowStarted && rowFrom >= 0) this.partial.push(Buffer.from(buf.subarray(rowFrom)));
  }

  /**
   * A whole body of at most one piece, parsed at once without the byte scan (most PUTs: ~100 KB; the scan cost
   * about a fifth of the REST worker's time in the ingest profile, bench/README.md "Profile").
   */
  whole(body: Buffer): void {
    if (this.shape !== 'start' || this.rowStarted) throw new Error('RowsSplitter.whole after push');
    const scanned = this.objects ? undefined : scanRows(body);
    if (scanned) {
      this.shape = 'closed';
      this.total = scanned.count;
      this.onChunk({ bytes: body, ...scanned, rows: () => parseRowsBody(body.toString('utf8')).rows });
      return;
    }
    const parsed = parseRowsBody(body.toString('utf8'));
    this.shape = 'closed';
    this.total = parsed.count;
    // An array body goes on as the bytes received (no re-encoding); an object or lines become an array text.
    const bytes = parsed.array ? body : Buffer.from(parsed.text, 'utf8');
    this.onChunk({ bytes, count: parsed.count, keys: parsed.keys, rows: () => parsed.rows });
  }

  /** The body ended: the last piece is handed on; an unfinished body is a ProtocolError. */
  end(): void {
    if (this.rowStarted && this.depth === 0 && !this.inString) this.endRow(Buffer.alloc(0));
    if (this.rowStarted) throw new ProtocolError('body is not JSON: it ends inside a row');
    if (this.shape === 'array') throw new ProtocolError('body is not JSON: the array is not closed');
    if (this.shape === 'start' || this.total + this.rows.length === 0)
      throw new ProtocolError('REST PUT command without new data');
    this.flush();
  }

  private endRow(tail: Buffer): void {
    const row = this.partial.length === 0 ? tail : Buffer.concat([...this.partial, tail]);
    this.partial = [];
    this.rowStarted = false;
    this.rows.push(row);
    this.rowsBytes += row.length + 1;
    if (this.rowsBytes >= this.chunkBytes) this.flush();
  }

  private flush(): void {
    if (this.rows.length === 0) return;
    const parts: Buffer[] = [Buffer.from('[')];
    this.rows.forEach((r, i) => {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(r);
    });
    parts.push(Buffer.from(']'));
    const first = this.total;
    this.total += this.rows.length;
    this.rows = [];
    this.rowsBytes = 0;
    const bytes = Buffer.concat(parts);
    const scanned = this.objects ? undefined : scanRows(bytes);
    if (scanned) {
      this.onChunk({ bytes, ...scanned, rows: () => parseRowsBody(bytes.toString('utf8')).rows });
      return;
    }
    let parsed: ReturnType<typeof parseRowsBody>;
    try {
      parsed = parseRowsBody(bytes.toString('utf8'));
    } catch (err) {
      // Row numbers in the message count from the start of the body, not of this piece.
      if (err instanceof ProtocolError)
        throw new ProtocolError(
          err.message.replace(/element (\d+) of the array/, (_m, n: string) => `row ${first + Number(n) + 1}`),
          { cause: err },
        );
      throw err;
    }
    const rows = parsed.rows;
    this.onChunk({ bytes, count: parsed.count, keys: parsed.keys, rows: () => rows });
  }
}

/**
 * Reads a request body through a RowsSplitter. Over `limit` bytes (by Content-Length at once, else when the
 * count passes it) rejects with PayloadTooLargeError; the rest of the body is read and dropped so that the
 * 413 reaches the client instead of a reset.
 */
export function readRowsBody(
  req: IncomingMessage,
  limit: number,
  splitter: RowsSplitter,
  pressure?: () => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      fail(new PayloadTooLargeError(limit));
      discard(req);
      return;
    }
    // A body that fits one piece (Content-Length says so) is gathered and parsed whole: no byte scan.
    const small: Buffer[] | undefined = Number.isFinite(declared) && declared <= splitter.chunkBytes ? [] : undefined;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (small && size <= splitter.chunkBytes) {
        small.push(c);
        return;
      }
      if (size > limit) {
        fail(new PayloadTooLargeError(limit));
        discard(req);
        return;
      }
      try {
        splitter.push(c);
      } catch (err) {
        fail(err);
        discard(req);
        return;
      }
      // What the pieces go to is behind (the journal's staged puts): stop reading until it has room.
      const wait = pressure?.();
      if (wait === undefined) return;
      req.pause();
      wait.then(
        () => {
          if (!failed) req.resume();
        },
        (err: unknown) => {
          fail(err);
          discard(req);
        },
      );
    });
    req.on('end', () => {
      if (failed) return;
      try {
        if (small && size <= splitter.chunkBytes) splitter.whole(small.length === 1 ? small[0]! : Buffer.concat(small));
        else splitter.end();
        resolve();
      } catch (err) {
        fail(err);
      }
    });
    req.on('error', fail);
    req.on('aborted', () => fail(new ProtocolError('client aborted the request')));
  });
}

/**
 * Reads and drops what the client still sends, so it gets the error reply rather than a reset; a client that
 * keeps sending for DISCARD_MS more is cut off.
 */
const DISCARD_MS = 5000;
const discarding = new WeakSet<IncomingMessage>();
export function discard(req: IncomingMessage): void {
  if (discarding.has(req)) return;
  discarding.add(req);
  req.removeAllListeners('data');
  req.resume();
  const t = setTimeout(() => req.destroy(), DISCARD_MS);
  t.unref();
  req.once('end', () => clearTimeout(t));
  req.once('close', () => clearTimeout(t));
}

/** A whole body as text (a POST of headers, a message-client data POST), refused with 413 past `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(limit));
      discard(req); // read and dropped, so the client gets the 413 rather than a reset
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new PayloadTooLargeError(limit));
        chunks.length = 0;
        discard(req);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new ProtocolError('client aborted the request')));
  });
}
