// Memory bounded by design (issue 12, item 6): a REST body over max_body_mb is answered 413 (not a reset), a
// streamed body is read in pieces and still lands whole, and the TCP server refuses a message over its limit
// and a peer whose unfinished message takes all peers' unfinished messages over max_assembly_mb, giving the
// memory back when those connections close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { http, startTestNode, until } from '../../harness/test-node.js';
import { ProtocolError } from '../../base/errors.js';
import { RowsSplitter, type RowsChunk } from '../../actors/rest-server/body-stream.js';
import { encodeMessage } from '../../protocols/tcp/index.js';
import { TCP_SERVER, type TcpInfo } from '../../actors/tcp-server/messages.js';
import { tcpPort } from '../network/peers.js';

/** Splits `body` given in pieces cut at `cuts` byte offsets; returns the pieces the splitter made. */
function split(body: string, chunkBytes: number, cutEvery: number): RowsChunk[] {
  const out: RowsChunk[] = [];
  const s = new RowsSplitter((c) => out.push(c), chunkBytes);
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += cutEvery) s.push(bytes.subarray(at, at + cutEvery));
  s.end();
  return out;
}

const tricky = (i: number): Record<string, unknown> => ({
  id: i,
  s: `q"uo\\te ]}{[ , é ${'x'.repeat(i % 13)}`,
  nested: { a: [1, { b: '}' }], n: null },
  ...(i % 5 === 0 ? { extra: true } : {}),
});

test('a body split at any byte is read in bounded pieces that hold every row once, in order', () => {
  const rows = Array.from({ length: 300 }, (_, i) => tricky(i));
  const shapes = [
    JSON.stringify(rows),
    ` [ ${rows.map((r) => JSON.stringify(r)).join(' ,\n ')} ] \n`,
    rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
  ];
  for (const body of shapes) {
    for (const cut of [1, 7, 4096, body.length]) {
      const pieces = split(body, 2000, cut);
      assert.ok(pieces.length > 5, `several pieces (got ${pieces.length})`);
      const back = pieces.flatMap((p) => JSON.parse(p.bytes.toString()) as unknown[]);
      assert.deepEqual(back, rows);
      assert.equal(
        pieces.reduce((n, p) => n + p.count, 0),
        300,
      );
      assert.ok(pieces.every((p) => p.bytes.length < 2000 + 400));
      assert.ok(pieces.some((p) => p.keys.includes('extra')));
    }
  }
  assert.deepEqual(JSON.parse(split('{"a":1}', 2000, 3)[0]!.bytes.toString()), [{ a: 1 }]);
});

test('a malformed or empty body is a ProtocolError naming what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['[{"a":1},]', /","/],
    ['[{"a":1}', /not closed/],
    ['[{"a":1} {"a":2}]', /expected "," or "\]"/],
    ['[{"a":1}] x', /after the closing/],
    ['{"a":"unterminated', /ends inside a row/],
    ['[]', /without new data/],
    ['   ', /without new data/],
    ['[{"a":1},2]', /row 2 is not a JSON object/],
    [',{"a":1}', /where a row should start/],
    ['[{"a":tru}]', /not JSON/],
  ];
  for (const [body, why] of bad) {
    assert.throws(
      () => split(body, 2000, 3),
      (err: unknown) => err instanceof ProtocolError && why.test(err.message),
      body,
    );
  }
});

/** PUT with Transfer-Encoding: chunked (no Content-Length), so only the count of bytes read can refuse it. */
function putChunked(
  port: number,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', headers }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    for (let at = 0; at < body.length; at += 65536) req.write(body.subarray(at, at + 65536));
    req.end();
  });
}

const rowsBody = (n: number): string =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      id: i,
      note: 'n'.repeat(40),
    })),
  );

test('a REST body over max_body_mb gets 413 with a reason; one under it lands whole from several pieces', async (t) => {
  const n = await startTestNode(
    'node:\n  name: test-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n' +
      '    internal_port: 0\n    max_body_mb: 1\n  streamer: {}\n  operator: {}\n',
  );
  t.after(() => n.stop());
  const h = { type: 'json', dbms: 'test', table: 'big', mode: 'streaming' };
  const over = rowsBody(15_000); // ~1.4 MB
  assert.ok(over.length > 1 << 20);
  const byLength = await http(n.port, 'PUT', h, over);
  assert.equal(byLength.status, 413);
  assert.match(byLength.body, /body over the limit of 1048576 bytes/);
  const byCount = await putChunked(n.port, h, Buffer.from(over));
  assert.equal(byCount.status, 413);
  const fileMode = await http(n.port, 'PUT', { ...h, mode: 'file' }, over);
  assert.equal(fileMode.status, 413);
  const under = rowsBody(9_000); // ~0.85 MB: two pieces of ~512 KB
  assert.ok(under.length > 600_000 && under.length < 1 << 20);
  const ok = await putChunked(n.port, h, Buffer.from(under));
  assert.equal(ok.status, 200, ok.body);
  await until(async () => {
    try {
      const r = JSON.parse(await n.cmd('sql test format = json "select count(*) as c, max(id) as m from big"')) as {
        Query: { c: number; m: number }[];
      };
      return r.Query[0]!.c === 9000 && r.Query[0]!.m === 8999;
    } catch (err) {
      if (/no such table/.test((err as Error).message)) return false;
      throw err;
    }
  }, 15_000);
});

/** Opens a connection and writes `bytes` without ending; `closed` resolves when the server closes it. */
async function hold(port: number, bytes: Uint8Array): Promise<{ sock: Socket; closed: Promise<void> }> {
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  sock.on('error', () => undefined); // a reset after the server closes it is the expected outcome
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.resume();
  sock.write(bytes);
  return { sock, closed };
}

const isClosed = (p: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('the TCP server closes a peer over max_message_mb or over max_assembly_mb and frees what it held', async (t) => {
  const n = await startTestNode(
    'node:\n  name: node-b\nservices:\n  tcp_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n' +
      '    max_message_mb: 1\n    max_assembly_mb: 2\n',
  );
  t.after(() => n.stop());
  const port = tcpPort(n.running.node.connections.get('TCP')!.external);
  const info = (): Promise<TcpInfo> => n.running.node.ask(TCP_SERVER, { type: 'tcp.info' });
  const answer = (bytes: number): Buffer[] =>
    encodeMessage({ header: { sourceIp: 'h', sourcePort: 1 }, command: 'print', payload: new Uint8Array(bytes) }).map(
      (b) => Buffer.from(b),
    );
  const unfinished = (bytes: number): Buffer => Buffer.concat(answer(bytes).slice(0, -1));

  // One message over its own limit.
  const tooBig = await hold(port, Buffer.concat(answer(1_200_000)));
  assert.equal(await isClosed(tooBig.closed, 5000), true, 'a 1.2 MB answer is refused');

  // Two unfinished 0.9 MB answers fit the 2 MB budget; a third takes it over and is closed.
  const a = await hold(port, unfinished(900_000));
  const b = await hold(port, unfinished(900_000));
  await until(async () => (await info()).stats.open === 2, 5000);
  const c = await hold(port, unfinished(900_000));
  assert.equal(await isClosed(c.closed, 5000), true, 'the third unfinished answer is refused');
  assert.equal(await isClosed(a.closed, 300), false);
  assert.equal(await isClosed(b.closed, 10), false);
  assert.match((await info()).stats.lastMalformed, /exceed 2097152 bytes \(max_assembly_mb\)/);

  // Closing the two gives their bytes back: two more fit again.
  a.sock.destroy();
  b.sock.destroy();
  await until(async () => (await info()).stats.open === 0, 5000);
  const d = await hold(port, unfinished(900_000));
  const e = await hold(port, unfinished(900_000));
  assert.equal(await isClosed(d.closed, 500), false);
  assert.equal(await isClosed(e.closed, 10), false);
  d.sock.destroy();
  e.sock.destroy();
});
