import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { http, startTestNode } from '../../harness/test-node.js';
import { tcpNodeYaml } from './peers.js';

const AGENT = { 'User-Agent': 'AnyLog/1.23' };

/** One raw HTTP exchange, to see the framing (chunks) the client library hides. */
function rawGet(port: number, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
    });
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('a REST destination header sends the command to the peer and answers 200 with its chunked text', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a', { rest: true }));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const bAddr = b.running.node.connections.get('TCP')!.external;
  const r = await http(a.port, 'GET', { ...AGENT, command: 'get status', destination: bAddr });
  assert.equal(r.status, 200);
  assert.equal(r.body, `\r\n[From Node ${bAddr}] node-b@${bAddr} running`);
  // EdgeLake's chunked reply (golden rest_destination_get_status.txt), with a Content-Type that matches the text
  // body and no wildcard CORS (README "Where it differs").
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal(r.headers['vary'], 'Origin');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  // One chunk whose size line is the body's length (golden rest_destination_get_status_raw_chunked.txt: `3b`).
  const raw = await rawGet(a.port, { ...AGENT, command: 'get status', destination: bAddr });
  const body = `\r\n[From Node ${bAddr}] node-b@${bAddr} running`;
  assert.ok(
    raw.endsWith(`\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`),
    JSON.stringify(raw),
  );
});

test('the command in a destination header keeps EdgeLake REST method rules, and run client by GET is refused', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a', { rest: true }));
  t.after(() => a.stop());
  const r = await http(a.port, 'GET', { ...AGENT, command: 'set x = 1', destination: '127.0.0.1:9' });
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).err_code, 156);
  const direct = await http(a.port, 'GET', { ...AGENT, command: 'run client (127.0.0.1:9) get status' });
  assert.equal(direct.status, 400);
  assert.equal(JSON.parse(direct.body).err_code, 156);
  const dead = await http(a.port, 'GET', { ...AGENT, command: 'get status', destination: '127.0.0.1:9' });
  assert.equal(dead.status, 400);
  assert.match(JSON.parse(dead.body).err_text, /127\.0\.0\.1:9 connection refused/);
});
