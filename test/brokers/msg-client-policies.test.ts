// A topic mapped by several mapping policies (`topic = (name = t and policy = A and policy = B)`, as EdgeLake's
// deployment scripts data-generator/vessel_data.al and wind_turbine_data.al write it): every policy maps the
// message in turn (EdgeLake mqtt_client.py `process_using_policies`); the rows of each that maps land in its table,
// and a message that no policy maps is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REST_NODE, startTestNode, until } from '../../harness/test-node.js';
import { publish, publisher, query } from './support.js';

const policy = (id: string, table: string, column: string): string =>
  JSON.stringify({
    mapping: {
      id,
      dbms: 'test',
      table,
      schema: {
        timestamp: { type: 'timestamp', default: 'now()' },
        [column]: { type: 'float', bring: `[${column}]` },
      },
    },
  });

test('a topic with two mapping policies lands each message in the table of every policy that maps it', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('run message broker where internal_ip = 127.0.0.1 and internal_port = 0 and threads = 2');
  const port = Number(n.running.node.connections.get('Messaging')!.internal.split(':').pop());
  await n.cmd(`p_temp = ${policy('p-temp', 'temps', 'temp')}`);
  await n.cmd(`p_hum = ${policy('p-hum', 'hums', 'hum')}`);
  await n.cmd('blockchain insert where policy = !p_temp and local = true');
  await n.cmd('blockchain insert where policy = !p_hum and local = true');
  assert.equal(
    await n.cmd(
      'run msg client where broker = local and log = false and topic = (name = plant and policy = p-temp and policy = p-hum)',
    ),
    '',
  );
  const dev = await publisher(port);
  t.after(() => dev.endAsync());
  await publish(dev, 'plant', '{"temp": 21.5}');
  await publish(dev, 'plant', '{"hum": 40}');
  await publish(dev, 'plant', '{"temp": 22, "hum": 41}');
  await publish(dev, 'plant', '{"pressure": 1}');
  await until(async () => (await query(n.cmd, 'test', 'select temp from temps')).length === 2, 15_000);
  await until(async () => (await query(n.cmd, 'test', 'select hum from hums')).length === 2, 15_000);
  assert.deepEqual(
    (await query(n.cmd, 'test', 'select temp from temps order by temp')).map((r) => r['temp']),
    [21.5, 22],
  );
  assert.deepEqual(
    (await query(n.cmd, 'test', 'select hum from hums order by hum')).map((r) => r['hum']),
    [40, 41],
  );
  const shown = await n.cmd('get msg clients');
  // EdgeLake mqtt_client.py `get_cmd_policies`: one command names every policy of the topic.
  assert.match(shown, /blockchain get \(mapping,transform\) where \[id\] == p-temp or \[id\] == p-hum/);
  const stats = await n.cmd('get msg clients where statistics = true');
  assert.match(stats, /Total Success: 3, Total Error: 1/);
});

test('a topic naming a policy that is not in the metadata fails the start with the policy named', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('run message broker where internal_ip = 127.0.0.1 and internal_port = 0 and threads = 2');
  await n.cmd(`p_temp = ${policy('p-temp', 'temps', 'temp')}`);
  await n.cmd('blockchain insert where policy = !p_temp and local = true');
  await assert.rejects(
    n.cmd('run msg client where broker = local and topic = (name = plant and policy = p-temp and policy = p-none)'),
    /p-none/,
  );
});
