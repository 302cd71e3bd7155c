// The second pass of a network query takes each operator's answer as it came over the network: an answer that is
// not a query result is that query's error (PeerError, error 8: the peer's fault), typed, so the query worker that
// runs the second pass answers it instead of crashing (an untyped error ends a worker and the queries behind it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { consolidate, prepareQuery } from '../../node/query/network-query.js';

const plan = async () =>
  (
    await prepareQuery(
      'sql test format = json "select count(*) as n from t"',
      (w) => w,
      async () => undefined,
    )
  ).plan;

test('an operator answer that is not a query result fails the query with a typed peer error', async () => {
  const p = await plan();
  for (const answer of ['not json', '{"Query":[null]}', '{"Query":5}', '{"Query":[[1]]}', '{"Query":["x"]}'])
    assert.throws(
      () => consolidate(p, [{ rows: [answer], rt: true }]),
      (err: unknown) => err instanceof PeerError && err.code === Status.Network,
      answer,
    );
  // A well-formed answer, and one without rows, consolidate as before.
  assert.deepEqual(consolidate(p, [{ rows: ['{"Query":[{"n":2}]}', '{"Statistics":[]}'], rt: true }]).rows, [[2]]);
});
