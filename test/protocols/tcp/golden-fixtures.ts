// Loads the golden TCP blocks in test/fixtures/tcp (copied from the steering repo's shared/spec/golden, see the
// README there) and parses the field-by-field decodes written by shared/tools/decode_hdr.py:
//   == <file>  (2048 bytes)
//     @ 30 +4   block_counter          = 1          integers in decimal, block_hash in hex, source_ip quoted
//     @207 command      = b'get status'             Python bytes literals
//     @217 auth        = b''
//     data (bytes 217..217; data_length=10 counts command+auth+data) = b''
//     trailing bytes all zero: True (len 1831)
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/tcp/', import.meta.url));
export const SHARED_GOLDEN = fileURLToPath(new URL('../../../../shared/spec/golden/', import.meta.url));

export const fixturesPresent = existsSync(path.join(FIXTURES, 'README.md'));
export const fixturesSkip: string | false = fixturesPresent ? false : `TCP fixtures missing at ${FIXTURES}`;

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

export interface DecodedDump {
  file: string;
  /** decode_hdr.py field name -> value text (quotes removed from source_ip). */
  fields: Map<string, string>;
  command: Uint8Array;
  auth: Uint8Array;
  data: Uint8Array;
  trailingZero: boolean;
}

/** Parses a decode_hdr.py dump; each entry's `file` is the base name after `==`. */
export function readDump(name: string): DecodedDump[] {
  const out: DecodedDump[] = [];
  let cur: DecodedDump | undefined;
  for (const line of readFileSync(path.join(FIXTURES, name), 'utf8').split('\n')) {
    const head = /^== (\S+)/.exec(line);
    if (head) {
      cur = {
        file: head[1]!,
        fields: new Map(),
        command: bytes(''),
        auth: bytes(''),
        data: bytes(''),
        trailingZero: false,
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const field = /^\s+@\s*\d+ \+\d+\s+(\w+)\s+= (.*)$/.exec(line);
    const body = /^\s+@\s*\d+ (command|auth)\s+= (b['"].*)$/.exec(line);
    const data = /^\s+data \(.*\) = (b['"].*)$/.exec(line);
    const trailing = /^\s+trailing bytes all zero: (True|False)/.exec(line);
    if (body) cur[body[1] === 'command' ? 'command' : 'auth'] = pyBytes(body[2]!);
    else if (field) cur.fields.set(field[1]!, field[2]!.replace(/^'(.*)'$/, '$1'));
    else if (data) cur.data = pyBytes(data[1]!);
    else if (trailing) cur.trailingZero = trailing[1] === 'True';
  }
  return out;
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A Python `bytes` repr (b'...' or b"...") to its bytes. */
export function pyBytes(literal: string): Uint8Array {
  const quote = literal[1];
  if (literal[0] !== 'b' || (quote !== "'" && quote !== '"') || literal.at(-1) !== quote) {
    throw new Error(`not a Python bytes literal: ${literal.slice(0, 40)}`);
  }
  const body = literal.slice(2, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { t: 9, n: 10, r: 13, '\\': 92, "'": 39, '"': 34 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const e = body[++i]!;
    if (e === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (simple[e] !== undefined) out.push(simple[e]);
    else throw new Error(`unknown escape \\${e} in ${literal.slice(0, 40)}`);
  }
  return Uint8Array.from(out);
}
