// The mapping compiles what the command language hands over: the topic clauses of the seeds' examples
// (`run msg client`, `run kafka consumer`) and of vector 5, parsed by protocols/command and the
// msg-client topic schema, then mapped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicSchema } from '../../../actors/_shared/topic.js';
import { tokenize } from '../../../protocols/command/lexer.js';
import { optionsObject, parseWhere } from '../../../protocols/command/where.js';
import { compileTopic } from '../../../protocols/mapping/compile.js';

const NOW = new Date('2024-05-01T10:00:00.123Z');

/** The topic clauses of a `where` text, through the same path as `run msg client`. */
function topics(where: string) {
  const opts = optionsObject(parseWhere(tokenize(where)), (w) => w);
  const raw = Array.isArray(opts['topic']) ? opts['topic'] : [opts['topic']];
  return raw.map((t) => topicSchema.parse(t, 'topic'));
}

test('vector 5 written as a command maps the reading to temp_1', () => {
  const [topic] = topics(
    'broker = local and topic = (name = sensors and dbms = testdb and table = "bring [sensor]" and ' +
      'column.timestamp.timestamp = now and column.value = (type = float and value = "bring [reading][value]") and ' +
      'column.unit.str = "bring [reading][unit]")',
  );
  const r = compileTopic(topic!)('{"sensor":"Temp-1","reading":{"value":21.5,"unit":"C"}}', NOW);
  assert.deepEqual(r, {
    rows: [
      { dbms: 'testdb', table: 'temp_1', row: { timestamp: '2024-05-01T10:00:00.123000Z', value: 21.5, unit: 'C' } },
    ],
  });
});

test('seed: run msg client (driver.cloudmqtt.com example) compiles and maps', () => {
  const [topic] = topics(
    'broker = "driver.cloudmqtt.com" and port = 18975 and user = mqwdtklv and password = uRimssLO4dIo and topic = (' +
      'name = test and dbms = "bring [metadata][company]" and ' +
      'table = "bring [metadata][machine_name] _ [metadata][serial_number]" and ' +
      'column.timestamp.timestamp = "bring [ts]" and column.value.int = "bring [value]")',
  );
  const msg = {
    metadata: { company: 'Acme', machine_name: 'Lathe', serial_number: 'A1' },
    ts: '2024-01-01 10:00:00',
    value: '3',
  };
  assert.deepEqual(compileTopic(topic!)(msg, NOW), {
    rows: [{ dbms: 'acme', table: 'lathe_a1', row: { timestamp: '2024-01-01 10:00:00', value: 3 } }],
  });
});

test('seed: run kafka consumer (ping_sensor example) compiles and maps', () => {
  const [topic] = topics(
    'ip = 198.74.50.131 and port = 9092 and reset = earliest and topic = (name = sensor and dbms = lsl_demo and ' +
      'table = ping_sensor and column.timestamp.timestamp = "bring [timestamp]" and column.value.int = "bring [value]")',
  );
  assert.deepEqual(compileTopic(topic!)('{"timestamp":"2024-01-01T00:00:00.5+02:00","value":12}', NOW), {
    rows: [{ dbms: 'lsl_demo', table: 'ping_sensor', row: { timestamp: '2023-12-31T22:00:00.5Z', value: 12 } }],
  });
});

test('two topics of one client compile to independent mappers', () => {
  const list = topics(
    'broker = local and topic = (name = a and dbms = d and table = ta and column.v.int = "bring [v]") and ' +
      'topic = (name = b and dbms = d and table = tb and column.v.str = "bring [v]" and column.ts.timestamp = now)',
  );
  assert.equal(list.length, 2);
  const [a, b] = list.map((t) => compileTopic(t));
  assert.deepEqual(a!({ v: '5' }, NOW), { rows: [{ dbms: 'd', table: 'ta', row: { v: 5 } }] });
  assert.deepEqual(b!({ v: 5 }, NOW), {
    rows: [{ dbms: 'd', table: 'tb', row: { ts: '2024-05-01T10:00:00.123000Z', v: '5' } }],
  });
});
