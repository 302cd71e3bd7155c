// EdgeLake's type inference, rule by rule (suggest_create_table.py L123-223; spec section 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchemaInferrer, inferColumns } from '../../../storage/schema/infer.js';
import { JsonNumber, mergeTypes, valueType } from '../../../storage/schema/value-type.js';
import { publishedCreate } from '../../../storage/schema/ddl.js';
import { DATE, TIME, TIMESTAMP, type EdgeType } from '../../../storage/schema/types.js';

const typeOf = (v: unknown, column = 'value'): EdgeType | undefined => valueType(column, v);

test('interop vector 8: the operator rows give EdgeLake columns and types', () => {
  const rows = [
    { timestamp: '2024-05-01T10:00:00.000000Z', device: 'Dev-1', value: 21.5, count: 3, ok: true, 'Temp C': 1 },
    { timestamp: '2024-05-01T10:00:01.000000Z', device: 'Dev-1', value: 22, count: 3, ok: true, 'Temp C': 1 },
  ];
  const cols = inferColumns(rows);
  const text = publishedCreate({ table: 'readings', columns: cols, withTsdInfo: true });
  assert.ok(
    text.includes(
      'timestamp timestamp not null default now(),  device char(5),  value decimal,  count int,  ok boolean,  temp_c int );',
    ),
    text,
  );
  assert.deepEqual(cols[5], {
    name: 'temp_c',
    sourceKey: 'Temp C',
    sourceKeys: ['Temp C'],
    type: 'INT',
    nullOnly: false,
    valueTypes: ['INT'],
  });
});

test('booleans, ints and the BIGINT threshold', () => {
  assert.equal(typeOf(true), 'BOOLEAN');
  assert.equal(typeOf(99_999_999), 'INT');
  assert.equal(typeOf(-99_999_999), 'INT');
  assert.equal(typeOf(100_000_000), 'BIGINT');
  assert.equal(typeOf(-100_000_000), 'BIGINT');
  assert.equal(typeOf(2n ** 70n), 'BIGINT');
  assert.equal(typeOf(new JsonNumber('123456789012345678901234567890')), 'BIGINT');
});

test('a float is DECIMAL with 1 to 5 digits after the point of its Python repr, else FLOAT', () => {
  assert.equal(typeOf(21.5), 'DECIMAL');
  assert.equal(typeOf(0.12345), 'DECIMAL');
  assert.equal(typeOf(0.123456), 'FLOAT');
  assert.equal(typeOf(new JsonNumber('0.0')), 'FLOAT', '0.0 is FLOAT');
  assert.equal(typeOf(new JsonNumber('22.0')), 'DECIMAL', 'repr 22.0 has one digit');
  assert.equal(typeOf(22), 'INT', 'JSON.parse makes 22.0 an int: pass JsonNumber to keep it a float');
  assert.equal(typeOf(1e-5), 'DECIMAL', "repr '1e-05' has no point: the whole text is 5 long");
  assert.equal(typeOf(1.2345e-5), 'FLOAT');
  assert.equal(typeOf(new JsonNumber('1e16')), 'DECIMAL', "repr '1e+16' is 5 characters long");
  assert.equal(typeOf(new JsonNumber('1.5e300')), 'FLOAT', "repr '1.5e+300': '5e+300' is 6");
  assert.equal(typeOf(NaN), 'DECIMAL', "repr 'nan'");
});

test('strings: empty, UUID, timestamp, date, time, IP', () => {
  assert.equal(typeOf(''), 'VARCHAR');
  assert.equal(typeOf('123e4567-e89b-12d3-a456-426614174000'), 'UUID');
  assert.equal(typeOf('424f12a43372de46df1b7d41bd78014e'), 'UUID', 'any 32 hex digits');
  assert.equal(typeOf('2024-05-01T10:00:00.000000Z'), TIMESTAMP);
  assert.equal(typeOf('2024-05-01 10:00:00'), TIMESTAMP);
  assert.equal(typeOf('2011-11-04T00:05:23+04:00'), TIMESTAMP);
  assert.equal(typeOf('2024-02-30 10:00:00'), 'VARCHAR', 'no such day');
  assert.equal(typeOf('2024-05-01'), DATE);
  assert.equal(typeOf('10:00:00'), TIME);
  assert.equal(typeOf('10:00:00.anything'), TIME, 'only the text before the first point is parsed');
  assert.equal(typeOf('10.0.0.5'), 'CIDR');
  assert.equal(typeOf('::1'), 'CIDR');
  assert.equal(typeOf('01.2.3.4'), 'CHAR(8)', 'leading zeros are not an IPv4 address');
});

test('digits in a *time* column from the year 2000 on are a TIMESTAMP', () => {
  assert.equal(typeOf('1714557600', 'event_time'), TIMESTAMP);
  assert.equal(typeOf('946684799', 'event_time'), 'BIGINT');
  assert.equal(typeOf('1714557600', 'value'), 'BIGINT');
});

test('number-like strings: FLOAT with a point, INT under 9 characters, BIGINT from 9, CHAR(n) up to 8, else VARCHAR', () => {
  assert.equal(typeOf('1.5'), 'FLOAT');
  assert.equal(typeOf('1_000.5'), 'FLOAT', 'Python float() takes underscores');
  assert.equal(typeOf('12345678901234567.9'), 'FLOAT');
  assert.equal(typeOf('123456789012345678.9'), 'VARCHAR', 'longer than 19 characters');
  assert.equal(typeOf('12345678'), 'INT');
  assert.equal(typeOf('-1234567'), 'INT');
  assert.equal(typeOf('-12345678'), 'BIGINT', '9 characters with the sign');
  assert.equal(typeOf('123456789'), 'BIGINT');
  assert.equal(typeOf('Dev-1'), 'CHAR(5)');
  assert.equal(typeOf('😀😀😀😀😀😀😀😀'), 'CHAR(8)', 'characters are code points');
  assert.equal(typeOf('abcdefghi'), 'VARCHAR');
});

test('null leaves a column unknown, then VARCHAR; lists and objects are VARCHAR', () => {
  assert.equal(typeOf(null), undefined);
  assert.equal(typeOf([1, 2]), 'VARCHAR');
  assert.equal(typeOf({ a: 1 }), 'VARCHAR');
  const cols = inferColumns([{ a: null, b: null }, { b: 5 }]);
  assert.deepEqual(
    cols.map((c) => [c.name, c.type, c.nullOnly]),
    [
      ['a', 'VARCHAR', true],
      ['b', 'INT', false],
    ],
  );
});

test('merges: numbers, the FLOAT sort quirk, BIGINT, CHAR widening', () => {
  const cases: [EdgeType, EdgeType, EdgeType][] = [
    ['INT', 'DECIMAL', 'DECIMAL'],
    ['DECIMAL', 'INT', 'DECIMAL'],
    ['DECIMAL', 'FLOAT', 'FLOAT'],
    ['FLOAT', 'INT', 'FLOAT'],
    ['FLOAT', 'VARCHAR', 'FLOAT'],
    ['FLOAT', TIMESTAMP, 'FLOAT'],
    ['FLOAT', 'UUID', 'FLOAT'],
    ['FLOAT', 'BIGINT', 'VARCHAR'],
    ['FLOAT', 'BOOLEAN', 'VARCHAR'],
    ['FLOAT', 'CIDR', 'VARCHAR'],
    ['FLOAT', DATE, 'VARCHAR'],
    ['BIGINT', 'INT', 'BIGINT'],
    ['DECIMAL', 'BIGINT', 'BIGINT'],
    ['CHAR(2)', 'CHAR(5)', 'CHAR(5)'],
    ['CHAR(5)', 'CHAR(2)', 'CHAR(5)'],
    ['CHAR(2)', 'VARCHAR', 'VARCHAR'],
    ['INT', 'CHAR(3)', 'CHAR(32)'],
    ['BOOLEAN', 'INT', 'VARCHAR'],
    [TIMESTAMP, DATE, 'VARCHAR'],
  ];
  for (const [a, b, want] of cases) assert.equal(mergeTypes(a, b), want, `${a} + ${b}`);
});

test('batches add columns at the end and widen types; a seed continues a known table', () => {
  const inf = createSchemaInferrer([{ name: 'device', type: 'CHAR(2)' }]);
  inf.add([{ device: 'd1', value: 1 }]);
  inf.add([{ value: 1.5, device: 'Dev-12', extra: 'x' }]);
  assert.deepEqual(
    inf.columns().map((c) => [c.name, c.type]),
    [
      ['device', 'CHAR(6)'],
      ['value', 'DECIMAL'],
      ['extra', 'CHAR(1)'],
    ],
  );
  assert.deepEqual(inf.columns()[1]?.valueTypes, ['INT', 'DECIMAL']);
});

test('keys that normalise alike share one column; unusable keys are reported, not dropped silently', () => {
  const inf = createSchemaInferrer();
  inf.add([
    { 'Temp C': 1, temp_c: 2, ' Temp C ': 3, 2: 'a', _2: 'b', '': 1, '   ': 2, row_id: 7, ['x'.repeat(300)]: 1 },
  ]);
  assert.deepEqual(
    inf.columns().map((c) => [c.name, c.sourceKeys]),
    [
      ['_2', ['2', '_2']],
      ['temp_c', ['Temp C', 'temp_c', ' Temp C ']],
    ],
  );
  assert.deepEqual(
    inf.rejected().map((r) => r.reason),
    ['empty column name', 'empty column name', '"row_id" is an EdgeLake system column', 'column name longer than 255'],
  );
});

test('a Map row keeps the text order that a plain object loses for integer-like keys', () => {
  assert.deepEqual(
    inferColumns([{ b: 1, 2: 1 }]).map((c) => c.name),
    ['_2', 'b'],
  );
  assert.deepEqual(
    inferColumns([
      new Map<string, unknown>([
        ['b', 1],
        ['2', 1],
      ]),
    ]).map((c) => c.name),
    ['b', '_2'],
  );
});

test('a row that is not an object is a ProtocolError; an empty row is skipped', () => {
  const inf = createSchemaInferrer();
  inf.add([{}]);
  assert.deepEqual(inf.columns(), []);
  assert.throws(() => inf.add([[1, 2] as unknown as Record<string, unknown>]), { name: 'ProtocolError' });
  assert.throws(() => new JsonNumber('1.'), { name: 'ProtocolError' });
});

test('a text seen again is typed as the first time, by the kind of its column (time or not), past the memo bound', () => {
  // The same digits are a TIMESTAMP in a *time* column and an INT elsewhere, in whichever order they come.
  const rows = [
    { reading_time: '1700000000', code: '1700000000' },
    { code: '1700000000', reading_time: '1700000000' },
  ];
  const cols = new Map(inferColumns(rows).map((c) => [c.name, c]));
  assert.equal(cols.get('reading_time')?.type, TIMESTAMP);
  assert.deepEqual(cols.get('code')?.valueTypes, ['BIGINT']);
  // 5,000 distinct texts (past the 4,096 the memo keeps), then a repeat of the first and of the last: the types are
  // the ones valueType gives each text.
  const texts = Array.from({ length: 5000 }, (_, i) => `dev-${i}`);
  const inf = createSchemaInferrer();
  inf.add([...texts, texts[0]!, texts[4999]!, '2024-05-01T10:00:00Z'].map((device) => ({ device })));
  const [device] = inf.columns();
  assert.deepEqual(device?.valueTypes, ['CHAR(5)', 'CHAR(6)', 'CHAR(7)', 'CHAR(8)', TIMESTAMP]);
  assert.equal(device?.type, mergeTypes(mergeTypes('CHAR(8)', TIMESTAMP), 'CHAR(5)'));
});
