// Policy ids as EdgeLake computes them: interop test vector 7, and the ids of the real ledger in
// fixtures/rest_node1_blockchain_get_all.txt (see fixtures/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { completePolicy, computePolicyId, policyId, policyType, utcTimestamp } from '../../../protocols/policy/id.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { isDict, parseJson, parsePolicy, type Policy, type PyValue } from '../../../protocols/policy/pyvalue.js';
import { CommandError } from '../../../base/errors.js';

const golden = parseJson(
  readFileSync(new URL('./fixtures/rest_node1_blockchain_get_all.txt', import.meta.url), 'utf8'),
) as Policy[];

test('vector 7: an operator id is md5 of str(policy)', () => {
  const op = parsePolicy(
    '{"operator": {"company": "My Co", "name": "op-1", "ip": "10.0.0.5", "port": 32148, "rest_port": 32149}}',
  );
  assert.equal(computePolicyId(op), '437263d113ff2e69179897e17e685276');
});

test('vector 7: a table id hashes company, name and dbms only', () => {
  assert.equal(
    computePolicyId(parsePolicy('{"table": {"name": "readings", "dbms": "testdb"}}')),
    'f1484bbdb486e751063a7671cb3130cb',
  );
  assert.equal(
    computePolicyId(parsePolicy('{"table": {"dbms": "d1", "name": "t1", "company": "c", "create": "x"}}')),
    '4a3ba3a75f3dd7d8129606824b18863c',
  );
});

test('golden: the cluster id is computed before `status` is added', () => {
  assert.equal(
    computePolicyId(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}')),
    'cdf34d419daf168289697a2dec1d852c',
  );
  assert.equal(policyId(golden[0]!), 'cdf34d419daf168289697a2dec1d852c');
});

test('golden: the operator id is computed from the set-policy fields, before `member`', () => {
  const op = parsePolicy(
    '{"operator": {"name": "node1", "company": "Test Co", "ip": "127.0.0.1", "local_ip": "127.0.0.1", "port": 32148, ' +
      '"rest_port": 32149, "cluster": "cdf34d419daf168289697a2dec1d852c"}}',
  );
  assert.equal(computePolicyId(op), '181fd35f24c2bc40e90b7d017baccade');
});

test('golden: every id of the ledger is reproduced from the policy as it was inserted', () => {
  // EdgeLake adds `status` (clusters and their tables) and `member` (operators) after the id.
  const added = ['id', 'date', 'ledger', 'status', 'member'];
  const asInserted = (v: PyValue): PyValue => {
    if (Array.isArray(v)) return v.map(asInserted);
    if (!isDict(v)) return v;
    return new Map([...v].filter(([k]) => !added.includes(k)).map(([k, x]) => [k, asInserted(x)]));
  };
  for (const p of golden) {
    const type = policyType(p)!;
    assert.equal(computePolicyId(new Map([[type, asInserted(p.get(type)!)]])), policyId(p), jsonDumps(p));
  }
});

test('completePolicy appends id, date and ledger in that order, date and ledger excluded from the hash', () => {
  const p = parsePolicy(
    '{"operator": {"ledger": "global", "name": "a", "date": "2024-01-01T00:00:00.000000Z", "port": 1}}',
  );
  const out = completePolicy(p, new Date('2030-01-01T00:00:00Z'));
  assert.equal(
    jsonDumps(out),
    `{"operator": {"name": "a", "port": 1, "id": "${computePolicyId(parsePolicy('{"operator": {"name": "a", "port": 1}}'))}", ` +
      '"date": "2024-01-01T00:00:00.000000Z", "ledger": "global"}}',
  );
  assert.equal(
    jsonDumps(p),
    '{"operator": {"ledger": "global", "name": "a", "date": "2024-01-01T00:00:00.000000Z", "port": 1}}',
  );
});

test('completePolicy leaves a policy with id and date untouched, dates one with only an id', () => {
  const both = '{"x": {"id": "i", "ledger": "local", "date": "d"}}';
  assert.equal(jsonDumps(completePolicy(parsePolicy(both), new Date(0))), both);
  assert.equal(
    jsonDumps(
      completePolicy(parsePolicy('{"x": {"id": "i", "ledger": "local", "a": 1}}'), '2026-11-24T03:02:12.636255Z'),
    ),
    '{"x": {"id": "i", "a": 1, "date": "2026-11-24T03:02:12.636255Z", "ledger": "local"}}',
  );
});

test('an empty ledger value is dropped, as EdgeLake restores only a truthy one', () => {
  const out = completePolicy(parsePolicy('{"x": {"a": 1, "ledger": ""}}'), '2026-01-01T00:00:00.000000Z');
  assert.equal(jsonDumps(out).includes('ledger'), false);
});

test('dates are UTC with six fractional digits', () => {
  assert.equal(utcTimestamp(new Date('2026-11-24T03:02:12.636Z')), '2026-11-24T03:02:12.636000Z');
  assert.equal(utcTimestamp(new Date('2026-11-24T03:02:12.636Z'), 255), '2026-11-24T03:02:12.636255Z');
});

test('a policy that is not {"<type>": {...}} is a CommandError with code 2', () => {
  for (const bad of ['{"a": 1}', '{"a": {}, "b": {}}', '{}']) {
    assert.throws(
      () => completePolicy(parsePolicy(bad), new Date(0)),
      (e: unknown) => e instanceof CommandError && e.code === 2,
    );
  }
});
