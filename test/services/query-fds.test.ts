// A query worker lets go of each query's SQLite descriptors (actors/query-pool/index.ts): a SQLite query runs on
// connections of its own, and libsql-js frees a closed connection (its database and WAL descriptors) only when its
// statements are collected. Without a collection after each query, a worker that allocates little kept hundreds of
// descriptors open (seen in the soak as fd growth that moved with garbage collections, bench/README.md soak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, REST_NODE } from '../../harness/test-node.js';
import { fdsUnder } from '../fixtures/fds.js';

test(
  '300 queries leave no more SQLite descriptors open than one query does',
  { skip: process.platform !== 'linux' && 'reads /proc/self/fd' },
  async (t) => {
    const n = await startTestNode(REST_NODE(undefined, undefined, 1));
    t.after(() => n.stop());
    await n.cmd('connect dbms lab where type = sqlite');
    await n.cmd('sql lab format = json "select 1 as one"');
    await new Promise((r) => setTimeout(r, 50));
    const after1 = fdsUnder(n.root);
    for (let i = 0; i < 300; i++) await n.cmd(`sql lab format = json "select ${i} as i"`);
    await new Promise((r) => setTimeout(r, 50));
    const after300 = fdsUnder(n.root);
    // A query's own connections: at most two at a time (the query's and its EXPLAIN's), with their WAL.
    assert.ok(
      after300 <= after1 + 4,
      `descriptors under the node's root: ${after1} after 1 query, ${after300} after 300`,
    );
  },
);
