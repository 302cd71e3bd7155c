// Issue 12, status codes: a client's mistake is a 4xx with a one-line reason; a 5xx is the node's own fault and is
// logged with its cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, startTestNode, until, REST_NODE } from '../../harness/test-node.js';

const AGENT = { 'User-Agent': 'AnyLog/1.23' };

function oneLine(body: string): string {
  const e = JSON.parse(body) as { err_text: string };
  assert.ok(!e.err_text.includes('\n'), e.err_text);
  return e.err_text;
}

test("client mistakes are 4xx with one line; the node's own faults are 5xx and logged with the cause", async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('connect dbms lab where type = sqlite');
  const mistakes: [Record<string, string>, string, string | undefined, RegExp][] = [
    [{ ...AGENT, command: 'sql lab "select nope from nowhere"' }, 'GET', undefined, /no such table/],
    [{ ...AGENT, command: 'sql missing_db "select 1"' }, 'GET', undefined, /not connected/],
    [{ ...AGENT, command: 'sql lab format = xml "select 1"' }, 'GET', undefined, /format must be/],
    [{ ...AGENT, command: 'sql lab timeout = soon "select 1"' }, 'GET', undefined, /timeout must be/],
    [{ ...AGENT, command: 'get xyzzy' }, 'GET', undefined, /Error Command Structure/],
    [{ ...AGENT, 'Content-Type': 'application/json' }, 'POST', '{"command": ', /POST body is not JSON/],
    [{ type: 'json', dbms: 'bad;name', table: 't', mode: 'streaming' }, 'PUT', '{"a":1}', /dbms 'bad;name'/],
    [{ type: 'json', dbms: 'lab', mode: 'streaming' }, 'PUT', '{"a":1}', /Missing 'table' header/],
    [{ type: 'json', dbms: 'lab', table: 't', mode: 'streaming' }, 'PUT', '{"a":', /not JSON/],
  ];
  for (const [h, method, body, reason] of mistakes) {
    const r = await http(n.port, method, h, body);
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${JSON.stringify(h)}: ${r.status} ${r.body}`);
    assert.match(oneLine(r.body), reason);
  }
  assert.equal(
    n.logs.records.filter((r) => r.msg === 'REST request failed on the node').length,
    0,
    'a client mistake is not logged as a node fault',
  );
  // The node cannot run queries (its pool was stopped): its fault, 503, logged with the reason.
  await n.cmd('exit query pool');
  const down = await http(n.port, 'GET', { ...AGENT, command: 'sql lab "select 1"' });
  assert.equal(down.status, 503);
  assert.match(oneLine(down.body), /Query Pool is not running/);
  // Workers forward their log records to the main thread in batches.
  const logged = () => n.logs.records.filter((r) => r.msg === 'REST request failed on the node');
  await until(() => logged().length > 0, 5000);
  assert.equal(logged().length, 1);
  assert.match(String(logged()[0]!['error']), /Query Pool is not running/);
});
