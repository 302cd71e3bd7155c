// Payloads (EdgeLake mqtt_client.py L860-928): JSON object or array, 158 for unparsable JSON, 299 otherwise.
// And a bounded fuzz loop: a mapper returns a typed result for any payload and never throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTopic } from '../../../protocols/mapping/compile.js';
import { compilePolicy } from '../../../protocols/mapping/policy.js';
import { MapCode, type Mapper, type MapResult } from '../../../protocols/mapping/result.js';

const NOW = new Date('2024-05-01T10:00:00.123Z');
const sensors = compileTopic({
  name: 'sensors',
  dbms: 'testdb',
  table: 'bring [sensor]',
  extra: {
    'column.timestamp.timestamp': 'now',
    'column.value': { type: 'float', value: 'bring [reading][value]' },
    'column.unit.str': 'bring [reading][unit]',
  },
});
const code = (r: MapResult): number => ('error' in r ? r.error.code : 0);

test('text that is not a JSON object or array is error 299', () => {
  for (const p of ['hello', '', '   ', '42', 'true', 'null', '"str"', '{bad', 'bad}', '[{"a":1}'])
    assert.equal(code(sensors(p, NOW)), 299, p);
  for (const p of [42, true, null, undefined, Symbol('s'), () => 1])
    assert.equal(code(sensors(p, NOW)), 299, String(p));
});

test('text that looks like JSON but does not parse is error 158', () => {
  for (const p of ['{bad}', '{"a":}', '[1,]', "{'sensor': 'T'}", '[{"a":1}]]'])
    assert.equal(code(sensors(p, NOW)), 158, p);
});

test('a JSON array is one message per element; a non-object element is 158', () => {
  const good = '{"sensor":"A","reading":{"value":1,"unit":"C"}}';
  const r = sensors(`[${good}, ${good.replace('"A"', '"B"')}]`, NOW);
  assert.ok('rows' in r);
  assert.deepEqual(
    r.rows.map((x) => x.table),
    ['a', 'b'],
  );
  assert.equal(code(sensors(`[${good}, 5]`, NOW)), 158);
  assert.equal(code(sensors([{ sensor: 'A', reading: { value: 1, unit: 'C' } }, [1]], NOW)), 158);
  assert.deepEqual(sensors('[]', NOW), { rows: [] });
});

test('a list payload is all or nothing: one failing element fails it, naming the element', () => {
  const r = sensors(
    [
      { sensor: 'A', reading: { value: 1, unit: 'C' } },
      { sensor: 'B', reading: {} },
    ],
    NOW,
  );
  assert.ok('error' in r);
  assert.equal(r.error.code, MapCode.missingValue);
  assert.match(r.error.reason, /^list entry 1 of 2: topic 'sensors'/);
});

test('bytes are UTF-8 text; invalid UTF-8 is 299', () => {
  assert.ok('rows' in sensors(new TextEncoder().encode('{"sensor":"Ä","reading":{"value":1,"unit":"°C"}}'), NOW));
  assert.equal(code(sensors(new Uint8Array([0x7b, 0xff, 0x7d]), NOW)), 299);
  const text = new TextEncoder().encode('{"sensor":"A","reading":{"value":1,"unit":"C"}}');
  assert.ok('rows' in sensors(text.buffer, NOW));
  assert.ok('rows' in sensors(new DataView(text.buffer), NOW));
});

test('leading and trailing whitespace around JSON is accepted', () => {
  assert.ok('rows' in sensors('\n {"sensor":"A","reading":{"value":1,"unit":"C"}} \r\n', NOW));
});

// --- fuzz -------------------------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'sensor',
  'reading',
  'value',
  'unit',
  'readings',
  'name',
  'valueType',
  'constructor',
  '__proto__',
  '0',
  '',
];
function randomValue(rnd: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const r = rnd();
  if (depth > 3 || r < 0.35) {
    return pick<unknown>([
      null,
      true,
      false,
      0,
      -1,
      21.5,
      1e300,
      -0,
      '',
      ' ',
      'Temp-1',
      '20.5',
      'Float64',
      'Int64',
      'abc',
      '[1,,]',
      '{}',
      '1704067200123',
      '2024-01-01T00:00:00Z',
      'x'.repeat(300),
    ]);
  }
  if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) o[pick(KEYS)] = randomValue(rnd, depth + 1);
  return o;
}

const edgex = compileTopic({
  name: 'edgex',
  dbms: 'edgex',
  table: 'bring [readings][][name]',
  extra: {
    'column.ts.timestamp': 'now',
    'column.value': { type: 'bring [readings][][valueType]', value: 'bring [readings][][value]', optional: 'true' },
    'column.dev.str': 'bring [device]:[sensor]',
  },
});
const policy = compilePolicy({
  mapping: {
    id: 'p',
    dbms: 'd',
    table: 'bring [name]',
    readings: 'readings',
    schema: {
      v: { type: 'float', bring: '[value]', default: 0 },
      n: { type: 'str', bring: '[name]', root: true, optional: true },
    },
  },
});

test('fuzz: 2000 random JSON values, their text and garbage never make a mapper throw', () => {
  const rnd = prng(20240501);
  const mappers: Mapper[] = [sensors, edgex, policy];
  const codes = new Set<number>(Object.values(MapCode));
  for (let i = 0; i < 2000; i++) {
    const value = randomValue(rnd, 0);
    const text = JSON.stringify(value) ?? 'undefined';
    const garbage = text.slice(0, Math.floor(rnd() * (text.length + 1)));
    for (const map of mappers) {
      for (const payload of [value, text, garbage, Buffer.from(garbage)]) {
        let r: MapResult | undefined;
        assert.doesNotThrow(
          () => {
            r = map(payload, NOW);
          },
          `payload ${String(text).slice(0, 200)}`,
        );
        if (r && 'error' in r) assert.ok(codes.has(r.error.code) && r.error.reason.length > 0, JSON.stringify(r));
        else assert.ok(r && Array.isArray(r.rows));
      }
    }
  }
});
