// Pure fuzz targets of the REST server's request handling (issue 12: "REST headers and bodies"), runnable at a
// million inputs by `npm run fuzz` (the real-request target in rest.test.ts needs a node and is CI-sized only).
//   - rest-headers: raw headers (any case, repeated, EdgeLake's names with fuzzed values) and a URL that may carry
//     headers in its query, through collectHeaders -> classify -> ingestTarget for ingest requests.
//   - rest-body: a PUT body cut into pieces at random points through the incremental RowsSplitter (small pieces, so
//     many flushes) and, when it fits one piece, through `whole`. A body made by JSON.stringify of an array of
//     objects must come out as exactly its rows (count, keys, and the rows' own bytes); anything else may only be
//     refused with a typed error.
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { EdgeRtError } from '../../base/errors.js';
import { classify, collectHeaders } from '../../actors/rest-server/request.js';
import { ingestTarget } from '../../actors/rest-server/ingest.js';
import { RowsSplitter, type RowsChunk } from '../../actors/rest-server/body-stream.js';
import type { FuzzTarget } from './targets.js';

const typed = (fn: () => void): void => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof EdgeRtError)) throw err;
  }
};

// ---- headers ------------------------------------------------------------------------------------------------------

const NAMES = [
  'command',
  'User-Agent',
  'anylog-agent',
  'destination',
  'subset',
  'timeout',
  'dbms',
  'table',
  'mode',
  'type',
  'source',
  'instructions',
  'content-type',
];
const VALUES = [
  'get status',
  'sql test "select 1"',
  'AnyLog/1.23',
  'curl/8',
  'grafana',
  'network',
  'local',
  '127.0.0.1:2548',
  'streaming',
  'file',
  'json',
  'test',
  'sqlite_master',
  'pg_class',
  'readings',
  '0',
];
const word = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const headerName = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constantFrom(...NAMES).map((n) => n.toUpperCase()),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const rawHeaders = fc.dictionary(headerName, fc.oneof(word, fc.array(word, { maxLength: 3 })), { maxKeys: 8 });
const url = fc.oneof(
  fc.constantFrom(
    '/',
    '/health',
    '/api/status',
    '/metrics',
    '/?command=get status',
    '/?User-Agent=AnyLog/1.23?command=x',
  ),
  fc
    .tuple(fc.constantFrom('/', '/health', ''), fc.array(fc.tuple(headerName, word), { maxLength: 4 }))
    .map(([p, kv]) => `${p}?${kv.map(([k, v]) => `${k}=${v}`).join('&')}`),
  fc.string({ maxLength: 60 }),
);

export const restHeaders: FuzzTarget<{ method: string; url: string; raw: IncomingHttpHeaders }> = {
  name: 'rest-headers',
  arb: fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'PATCH', 'get', ''),
    url,
    raw: rawHeaders as fc.Arbitrary<IncomingHttpHeaders>,
  }),
  run({ method, url, raw }) {
    const h = collectHeaders(raw, url);
    for (const [k, v] of Object.entries(h))
      if (k !== k.toLowerCase() || typeof v !== 'string') throw new Error(`header ${k} not normalised`);
    const action = classify(method, url, h);
    if (action.k === 'ingest' || action.k === 'data') typed(() => ingestTarget(h));
  },
};

// ---- bodies -------------------------------------------------------------------------------------------------------

const jsonValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  // Lone surrogates, quotes, backslashes, brackets inside strings: what a byte scanner must not miscount.
  fc.constantFrom('\ud800x', '"]}', '\\', '{[', '\u2028', 'é€😀'),
);
const row = fc.dictionary(
  fc.oneof(fc.constantFrom('timestamp', 'value', 'device', 'a'), fc.string({ maxLength: 8 })),
  fc.oneof(
    jsonValue,
    fc.array(jsonValue, { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), jsonValue, { maxKeys: 2 }),
  ),
  { maxKeys: 5 },
);
const validRows = fc.array(row, { minLength: 1, maxLength: 30 });
const validBody = fc
  .tuple(validRows, fc.constantFrom('', ' ', '\n', '\t\r\n'))
  .map(([rows, ws]) => ({ rows, text: ws + JSON.stringify(rows, null, ws === '' ? undefined : 1) + ws }));

interface BodyInput {
  text: string;
  /** Present when the body is exactly these rows. */
  rows?: Record<string, unknown>[];
  cuts: number[];
  pieceBytes: number;
}

const mangled = fc
  .tuple(
    validBody,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', ',', ']', '[', '{', '}', 'x', '\n')), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([b, edits]) => {
    let t = b.text;
    for (const [at, s] of edits) {
      const i = at % (t.length + 1);
      t = t.slice(0, i) + s + t.slice(i + (s === '' ? 1 : 0));
    }
    return t;
  });

const bodyInput: fc.Arbitrary<BodyInput> = fc
  .record({
    body: fc.oneof(
      validBody,
      mangled.map((text) => ({ text })),
      fc.string({ maxLength: 200 }).map((text) => ({ text })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })),
      fc.array(row, { maxLength: 5 }).map((rs) => ({ text: rs.map((r) => JSON.stringify(r)).join('\n') })),
    ),
    cuts: fc.array(fc.nat({ max: 300 }), { maxLength: 8 }),
    pieceBytes: fc.constantFrom(1, 16, 200, 512 * 1024),
  })
  .map(({ body, cuts, pieceBytes }) => ({ ...body, cuts, pieceBytes }));

function split(bytes: Buffer, input: BodyInput): RowsChunk[] {
  const out: RowsChunk[] = [];
  const s = new RowsSplitter((c) => out.push({ ...c, rows: [] }), input.pieceBytes);
  let at = 0;
  for (const c of [...input.cuts, bytes.length]) {
    const end = Math.min(bytes.length, at + c);
    s.push(bytes.subarray(at, end));
    at = end;
  }
  s.end();
  return out;
}

function whole(bytes: Buffer): RowsChunk[] {
  const out: RowsChunk[] = [];
  new RowsSplitter((c) => out.push({ ...c, rows: [] })).whole(bytes);
  return out;
}

/** The rows a body's chunks carry, as the SQL insert reads them (json_each over each chunk's array text). */
function rowsOf(chunks: RowsChunk[]): unknown[] {
  return chunks.flatMap((c) => JSON.parse(c.bytes.toString('utf8')) as unknown[]);
}

function expectRows(how: string, chunks: RowsChunk[], rows: Record<string, unknown>[]): void {
  const count = chunks.reduce((n, c) => n + c.count, 0);
  if (count !== rows.length) throw new Error(`${how}: ${count} rows counted, the body has ${rows.length}`);
  const got = JSON.stringify(rowsOf(chunks));
  if (got !== JSON.stringify(rows)) throw new Error(`${how}: the rows changed on the way: ${got.slice(0, 200)}`);
  const keys = new Set(chunks.flatMap((c) => c.keys));
  for (const r of rows)
    for (const k in r) if (!keys.has(k)) throw new Error(`${how}: key ${JSON.stringify(k)} missing`);
}

export const restBody: FuzzTarget<BodyInput> = {
  name: 'rest-body',
  arb: bodyInput,
  run(input) {
    const bytes = Buffer.from(input.text, 'utf8');
    if (input.rows) {
      // A refusal of a well-formed body is a failure too: rethrown untyped, so the property sees it.
      const rows = input.rows;
      try {
        expectRows('pieces', split(bytes, input), rows);
        expectRows('whole', whole(bytes), rows);
      } catch (err) {
        throw new Error(`a well-formed body was not taken as it is: ${(err as Error).message}`, { cause: err });
      }
      return;
    }
    typed(() => void split(bytes, input));
    typed(() => void whole(bytes));
  },
};
