// `run rest server where timeout = <s>` under 10 s: node:http refuses a headers timeout above the request timeout,
// so the REST server failed to start (`headersTimeout is out of range`) and the node ran without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, startTestNode, REST_NODE } from '../../harness/test-node.js';

test('a REST server with a timeout under 10 s starts and answers', async (t) => {
  const n = await startTestNode(
    REST_NODE(undefined, undefined, 1).replace('internal_port: 0\n', 'internal_port: 0\n    timeout: 2\n'),
  );
  t.after(() => n.stop());
  assert.match(await n.cmd('get processes'), /REST\s*\|Running\s*\|.*Timeout: 2/);
  assert.ok(n.port > 0);
  const r = await http(n.port, 'GET', { 'User-Agent': 'curl/8', command: 'get status' });
  assert.equal(r.status, 200, r.body);
});
