// Fuzz target for the REST rows scan (protocols/frames/rows-scan.ts), differential: whenever the scan answers,
// JSON.parse (body.ts parseRowsBody, the path it replaces) must accept the same bytes as one array with the same
// row count and the same keys in the same order. Inputs: arrays of random objects (compact and indented), the
// same with bytes inserted, removed or replaced, and free bytes.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ProtocolError } from '../../base/errors.js';
import { parseRowsBody } from '../../actors/rest-server/body.js';
import { scanRows } from '../../protocols/frames/rows-scan.js';
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

const mutated = fc
  .tuple(rows, fc.nat(), fc.constantFrom('insert', 'remove', 'replace'), fc.integer({ min: 0, max: 255 }))
  .map(([b, at, op, byte]) => {
    const i = b.length === 0 ? 0 : at % b.length;
    const x = Buffer.from([byte]);
    if (op === 'insert') return Buffer.concat([b.subarray(0, i), x, b.subarray(i)]);
    if (op === 'remove') return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    return Buffer.concat([b.subarray(0, i), x, b.subarray(i + 1)]);
  });

export const rowsScan: FuzzTarget<Uint8Array> = {
  name: 'rows-scan',
  arb: fc.oneof(rows, mutated, fc.uint8Array({ maxLength: 200 })),
  run(b) {
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
  },
};
