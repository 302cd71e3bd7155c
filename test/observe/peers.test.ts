import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'libsql';
import { startTestNode } from '../../harness/test-node.js';
import { close, listen, tcpNodeYaml } from '../network/peers.js';
import { parsePrometheusText, valueOf } from './prom-text.js';

test('peer round trips, peer timeouts and network query timeouts are counted per peer', async (t) => {
  const a = await startTestNode(tcpNodeYaml('a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('b', { dbms: true }));
  t.after(() => b.stop());
  // A peer that takes the connection and never answers.
  const held: Socket[] = [];
  const silent = await listen((s) => {
    held.push(s);
    s.resume();
  });
  t.after(async () => {
    for (const s of held) s.destroy();
    await close(silent.server);
  });
  const bAddr = b.running.node.connections.get('TCP')!.external;
  const db = new Database(join(b.root, 'data', 'dbms', 'test.dbms'));
  db.exec('create table t (one integer); insert into t values (1)');
  db.close();
  const quiet = `127.0.0.1:${silent.port}`;

  for (let i = 0; i < 3; i++) assert.match(await a.cmd(`run client (${bAddr}) get status`), /running/i);
  await assert.rejects(a.cmd(`run client (${quiet}, timeout = 1) get status`));
  await assert.rejects(a.cmd(`run client (${quiet}, timeout = 1) sql test format = json "select one from t"`));
  const ok = await a.cmd(`run client (${bAddr}) sql test format = json "select one from t"`);
  assert.match(ok, /"one"/);

  const m = parsePrometheusText(await a.running.node.metrics.text());
  assert.equal(valueOf(m, 'edgelake_rt_peer_requests_total', { peer: bAddr, outcome: 'ok' }), 4);
  assert.equal(valueOf(m, 'edgelake_rt_peer_round_trip_seconds_count', { peer: bAddr }), 4);
  assert.equal(valueOf(m, 'edgelake_rt_peer_requests_total', { peer: quiet, outcome: 'timeout' }), 2);
  // A timed-out request has no round trip to measure.
  assert.equal(valueOf(m, 'edgelake_rt_peer_round_trip_seconds_count', { peer: quiet }), undefined);
  assert.equal(valueOf(m, 'edgelake_rt_queries_total', { scope: 'network', outcome: 'ok' }), 1);
  assert.equal(valueOf(m, 'edgelake_rt_queries_total', { scope: 'network', outcome: 'error' }), 1);
  assert.equal(valueOf(m, 'edgelake_rt_query_timeouts_total'), 1);
  assert.equal(valueOf(m, 'edgelake_rt_query_duration_seconds_count', { scope: 'network' }), 2);
});
