// Fuzz target for the rows scan (protocols/frames/rows-scan.ts), differential: whenever scanRows answers, JSON.parse
// (body.ts parseRowsBody, the path it replaces) must accept the same bytes as one array with the same row count and
// the same keys in the same order; whenever scanLines answers, the operator's line-by-line JSON.parse
// (actors/operator/file-read.ts) must read the same rows, each where scanLines says it is, and the same keys.
// Both must say that a row repeats a key exactly when the SQLite writer's walk (repeated-keys.ts) finds one.
// Inputs: arrays of random objects (compact and indented), files of one object per line, the same with bytes
// inserted, removed or replaced, and free bytes.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ProtocolError } from '../../base/errors.js';
import { parseRowsBody } from '../../actors/rest-server/body.js';
import { scanLines, scanRows } from '../../protocols/frames/rows-scan.js';
import { splitLines } from '../../actors/operator/file-read.js';
import { lastOfRepeatedKeys } from '../../protocols/frames/repeated-keys.js';
import type { FuzzTarget } from './targets.js';

const key = fc.oneof(
  fc.constantFrom('a', 'ts', 'Temp C', '', '0', '12', '__proto__', 'é', '\u2028', 'x"y', 'a\\b', '\ud800'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const rows = fc
  .tuple(
    fc.array(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), { minLength: 1, maxLength: 6 }),
    fc.constantFrom(undefined, 1, '\t', ' \r\n'),
  )
  .map(([r, indent]) => Buffer.from(JSON.stringify(r, null, indent)));

const lineFiles = fc
  .tuple(
    fc.array(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), { minLength: 1, maxLength: 6 }),
    fc.constantFrom('\n', '\r\n', '\n\n', ' \n', '\r'),
  )
  .map(([r, eol]) => Buffer.from(r.map((x) => JSON.stringify(x)).join(eol) + eol));

const mutated = fc
  .tuple(
    fc.oneof(rows, lineFiles),
    fc.nat(),
    fc.constantFrom('insert', 'remove', 'replace'),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([b, at, op, byte]) => {
    const i = b.length === 0 ? 0 : at % b.length;
    const x = Buffer.from([byte]);
    if (op === 'insert') return Buffer.concat([b.subarray(0, i), x, b.subarray(i)]);
    if (op === 'remove') return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    return Buffer.concat([b.subarray(0, i), x, b.subarray(i + 1)]);
  });

export const rowsScan: FuzzTarget<Uint8Array> = {
  name: 'rows-scan',
  arb: fc.oneof(rows, lineFiles, mutated, fc.uint8Array({ maxLength: 200 })),
  run(b) {
    checkLines(b);
    const scanned = scanRows(b);
    if (!scanned) return;
    let parsed;
    try {
      parsed = parseRowsBody(Buffer.from(b).toString('utf8'));
    } catch (err) {
      if (err instanceof ProtocolError) throw new Error(`the scan accepted what JSON.parse refuses: ${err.message}`);
      throw err;
    }
    if (!parsed.array || parsed.count !== scanned.count || !isDeepStrictEqual(parsed.keys, scanned.keys))
      throw new Error(
        `the scan answered ${JSON.stringify(scanned)}, JSON.parse ${JSON.stringify({ array: parsed.array, count: parsed.count, keys: parsed.keys })}`,
      );
    if (scanned.repeats !== (lastOfRepeatedKeys(b) !== b))
      throw new Error(`the scan says repeats: ${scanned.repeats}, the walk does not agree`);
  },
};

/** scanLines against the per-line JSON.parse of the same bytes decoded as the operator decodes a file. */
function checkLines(b: Uint8Array): void {
  const scanned = scanLines(b);
  if (!scanned) return;
  const rows: unknown[] = [];
  const keys = new Set<string>();
  for (const raw of splitLines(Buffer.from(b).toString('utf8'))) {
    const line = raw.trim();
    if (line === '') continue;
    const v = JSON.parse(line) as unknown; // throws: the scan answered for a line JSON.parse refuses
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`scanLines answered for a line that is not one object: ${line}`);
    rows.push(v);
    for (const k in v) keys.add(k);
  }
  const at = scanned.starts.map((from, i) => JSON.parse(Buffer.from(b.subarray(from, scanned.ends[i])).toString()));
  if (!isDeepStrictEqual(at, rows) || !isDeepStrictEqual(scanned.keys, [...keys]))
    throw new Error(`scanLines answered ${JSON.stringify(scanned)}, the lines hold ${JSON.stringify(rows)}`);
  const array = Buffer.from(
    `[${scanned.starts.map((from, i) => Buffer.from(b.subarray(from, scanned.ends[i]))).join(',')}]`,
  );
  if (scanned.repeats !== (lastOfRepeatedKeys(array) !== array))
    throw new Error(`scanLines says repeats: ${scanned.repeats}, the walk does not agree`);
}
