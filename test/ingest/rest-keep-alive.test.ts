// The REST server's idle kept-alive connections: a client may reuse one until the time the server announces in
// `Keep-Alive: timeout=N`, and the server closes it some time after that, never before, so that a request sent in
// time but read late is still answered. node:http keeps the socket 1 s past the announced time (Node 20.20 and 24;
// a Node without that margin fails here). The clients that keep to the announced time (node's agent with a timeout
// of its own, bench/ingest-common.ts) then never write on a socket the server has closed; the soak's PUTs that failed
// with `socket hang up` came from a client that kept idle sockets forever (bench/README.md soak). The request here is
// sent 400 ms past the announced time. Raw bytes on one socket, so the timing is the test's, not an agent's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestNode } from '../../harness/test-node.js';

const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: AnyLog/1.23\r\ncommand: get status\r\n\r\n';

/** Reads one whole response (headers and a Content-Length body) from `sock`; rejects if the socket ends first. */
function response(sock: Socket): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      const len = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      cleanup();
      resolve({ head, body: buf.subarray(end + 4, end + 4 + len).toString() });
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`connection closed before a response (${buf.length} bytes read)`));
    };
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('close', onEnd);
      sock.off('end', onEnd);
    };
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
  });
}

test('a kept-alive REST connection reused just past the announced timeout is answered, and closed soon after', async (t) => {
  const n = await startTestNode(
    'node:\n  name: test-node\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n',
  );
  t.after(() => n.stop());
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(n.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  t.after(() => sock.destroy());
  const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));

  sock.write(REQUEST);
  const first = await response(sock);
  assert.match(first.head, /^HTTP\/1\.1 200/);
  const announced = Number(/^keep-alive:\s*timeout=(\d+)/im.exec(first.head)?.[1]);
  assert.ok(announced >= 1, `a Keep-Alive timeout is announced (${first.head})`);

  // Idle for the announced time and 400 ms, counted from when the answer was read (after the server's clock started).
  await new Promise((r) => setTimeout(r, announced * 1000 + 400));
  sock.write(REQUEST);
  const second = await response(sock);
  assert.match(second.head, /^HTTP\/1\.1 200/);
  assert.match(second.body, /running/i);

  // Idle connections are still closed: not before the announced time, and within a second or two after it.
  const idleFrom = Date.now();
  const at = await Promise.race([
    closed,
    new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error('an idle connection was never closed')), announced * 1000 + 3000),
    ),
  ]);
  assert.ok(at - idleFrom >= announced * 1000 - 50, `closed after ${at - idleFrom} ms`);
});
