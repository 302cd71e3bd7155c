// The node's message broker checks the node's users when user authentication is on (AnyLog), with a real
// mqtt.js client on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { REST_NODE, startTestNode } from '../../harness/test-node.js';

function tryConnect(port: number, opts: { username?: string; password?: string }): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => {
      c.end(true);
      resolve('connected');
    });
    c.once('error', (err) => {
      c.end(true);
      resolve(String((err as { code?: number }).code ?? err.message));
    });
  });
}

test('with user authentication on, the message broker refuses a CONNECT without a valid user (CONNACK 4)', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('run message broker where internal_ip = 127.0.0.1 and internal_port = 0');
  const port = Number(n.running.node.connections.get('Messaging')!.internal.split(':').pop());
  assert.equal(await tryConnect(port, {}), 'connected', 'off: any client, as EdgeLake');
  await n.cmd('id add user where name = dev1 and password = devpw');
  await n.cmd('set user authentication on');
  assert.equal(await tryConnect(port, {}), '4');
  assert.equal(await tryConnect(port, { username: 'dev1', password: 'wrong' }), '4');
  assert.equal(await tryConnect(port, { username: 'dev1', password: 'devpw' }), 'connected');
  // A broker started after authentication went on reads the table at start.
  await n.cmd('exit broker');
  await n.cmd('run message broker where internal_ip = 127.0.0.1 and internal_port = 0');
  const port2 = Number(n.running.node.connections.get('Messaging')!.internal.split(':').pop());
  assert.equal(await tryConnect(port2, { username: 'dev1', password: 'nope' }), '4');
  assert.equal(await tryConnect(port2, { username: 'dev1', password: 'devpw' }), 'connected');
  assert.match(await n.cmd('get local broker'), /bad user name or password/);
});
