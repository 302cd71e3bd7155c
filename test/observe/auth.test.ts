import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, startTestNode, until } from '../../harness/test-node.js';
import { REST_SERVER } from '../../actors/rest-server/messages.js';
import { parsePrometheusText } from './prom-text.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('with user authentication on, /metrics and /status need a user on both ports; the probes stay open', async (t) => {
  const n = await startTestNode(
    'node:\n  name: a\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n    metrics_port: 0\n',
  );
  t.after(() => n.stop());
  const mp = (await n.running.node.ask(REST_SERVER, { type: 'rest.info' })).metricsPort!;
  for (const port of [n.port, mp]) assert.equal((await http(port, 'GET', {}, undefined, '/metrics')).status, 200);
  await n.cmd('id add user where name = prom and password = "scrape me" and type = user');
  await n.cmd('set user authentication on');
  for (const port of [n.port, mp]) {
    // The REST server learns of the change by a notice: wait for it.
    await until(async () => (await http(port, 'GET', {}, undefined, '/metrics')).status === 401, 5000, 50);
    const none = await http(port, 'GET', {}, undefined, '/status.json');
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm="edgelake-rt"/);
    assert.equal((await http(port, 'GET', {}, undefined, '/status')).status, 401);
    const wrong = await http(port, 'GET', { Authorization: basic('prom', 'nope') }, undefined, '/metrics');
    assert.equal(wrong.status, 401);
    const ok = await http(port, 'GET', { Authorization: basic('prom', 'scrape me') }, undefined, '/metrics');
    assert.equal(ok.status, 200);
    assert.ok(parsePrometheusText(ok.body).has('edgelake_rt_service_up'));
    assert.equal((await http(port, 'GET', {}, undefined, '/healthz')).status, 200);
    assert.equal((await http(port, 'GET', {}, undefined, '/readyz')).status, 200);
  }
});
