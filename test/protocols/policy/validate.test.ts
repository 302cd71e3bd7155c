// Uniqueness rules, member ids and the whole `blockchain insert` preparation, checked against the real
// ledger EdgeLake wrote for run-edgelake.sh (fixtures/rest_node1_blockchain_get_all.txt).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { prepareInsert } from '../../../protocols/policy/insert.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { parseJson, parsePolicy, type Policy, type PyValue } from '../../../protocols/policy/pyvalue.js';
import { assignMember, checkUnique } from '../../../protocols/policy/validate.js';
import { CommandError } from '../../../base/errors.js';

const goldenText = readFileSync(new URL('./fixtures/rest_node1_blockchain_get_all.txt', import.meta.url), 'utf8');
const golden = parseJson(goldenText) as Policy[];
const CLUSTER = 'cdf34d419daf168289697a2dec1d852c';
const OPERATOR =
  '{"operator": {"name": "node1", "company": "Test Co", "ip": "127.0.0.1", "local_ip": "127.0.0.1", "port": 32148, ' +
  `"rest_port": 32149, "cluster": "${CLUSTER}"}}`;

const isError = (code: number, message: RegExp) => (e: unknown) =>
  e instanceof CommandError && e.code === code && message.test(e.message);

test('the four inserts of run-edgelake.sh reproduce the golden ledger byte for byte', () => {
  const ledger: PyValue[] = [];
  const insert = (text: string, now: string, random?: () => number): void => {
    ledger.push(prepareInsert(parsePolicy(text), ledger, random ? { now, random } : { now }));
  };
  const table = golden[2]!.get('table') as Map<string, PyValue>;
  insert('{"cluster": {"name": "cl1", "company": "Test Co"}}', '2026-11-24T03:02:12.636255Z');
  insert(OPERATOR, '2026-11-24T03:02:12.638187Z', () => 82);
  insert(
    jsonDumps(new Map([['table', new Map([...table].filter(([k]) => !['id', 'date', 'ledger'].includes(k)))]])),
    '2026-11-24T03:02:43.794508Z',
  );
  insert(
    `{"cluster": {"parent": "${CLUSTER}", "name": "cl1", "company": "Test Co", "table": [{"dbms": "test", "name": "readings"}], ` +
      '"source": "Node at 127.0.0.1:32148"}}',
    '2026-11-24T03:02:43.799048Z',
  );
  assert.equal(jsonDumps(ledger), goldenText);
});

test('a second operator on the same ip:port is error 149', () => {
  const other = OPERATOR.replace('"node1"', '"node2"');
  assert.throws(
    () => prepareInsert(parsePolicy(other), golden, { now: '2026-01-01T00:00:00.000000Z' }),
    isError(
      149,
      /^New policy 'operator' is using an IP and Port '127.0.0.1:32148' which is in use by an existing policy$/,
    ),
  );
});

test('a second operator with the same company and name is error 180 (names compare case-insensitively)', () => {
  const other = OPERATOR.replace('32148', '32150').replace('"node1"', '"NODE1"');
  assert.throws(
    () => prepareInsert(parsePolicy(other), golden, { now: '2026-01-01T00:00:00.000000Z' }),
    isError(180, /^Error in policy type: operator - duplicate 'company.name' value: 'Test Co.NODE1'$/),
  );
});

test('checkUnique: operator name, table (dbms, name) and cluster name are unique', () => {
  const op = parsePolicy('{"operator": {"name": "node1", "ip": "10.0.0.1", "port": 1}}');
  assert.ok(
    isError(
      180,
      /^New Policy Error: Non unique key-values pairs: blockchain get operator where name = node1$/,
    )(checkUnique(op, golden)),
  );
  const t = parsePolicy('{"table": {"name": "READINGS", "dbms": "test", "create": "x"}}');
  assert.ok(
    isError(
      180,
      /^New Policy Error: Non unique key-values pairs: blockchain get table where dbms = test and name = READINGS$/,
    )(checkUnique(t, golden)),
  );
  assert.ok(
    isError(
      180,
      /^Non-unique 'name' for a new cluster policy: 'cl1'$/,
    )(checkUnique(parsePolicy('{"cluster": {"name": "cl1"}}'), golden)),
  );
  assert.equal(checkUnique(parsePolicy('{"table": {"name": "other", "dbms": "test"}}'), golden), undefined);
  assert.equal(
    checkUnique(parsePolicy('{"operator": {"name": "n9", "ip": "127.0.0.1", "port": "32149"}}'), golden),
    undefined,
  );
});

test('checkUnique: a port given as text still collides with the number', () => {
  const op = parsePolicy('{"operator": {"name": "n9", "ip": "127.0.0.1", "port": "32148"}}');
  assert.ok(isError(180, /where ip = 127.0.0.1 and port = 32148$/)(checkUnique(op, golden)));
});

test('member ids: random 1-255, skipping 0 and ids used in the cluster', () => {
  const draws = [0, 82, 82, 7];
  const random = (): number => draws.shift()!;
  const op = parsePolicy(OPERATOR.replace('"node1"', '"node2"'));
  const out = assignMember(op, golden, random);
  assert.equal((out.get('operator') as Map<string, PyValue>).get('member'), 7);
  assert.equal(jsonDumps(op).includes('member'), false, 'the input is not modified');
  const noCluster = parsePolicy('{"operator": {"name": "x"}}');
  assert.equal(
    assignMember(noCluster, golden, () => 5),
    noCluster,
  );
});

test('member ids: a cluster with every id taken is an error, not an endless loop', () => {
  const full = Array.from({ length: 255 }, (_, i) => parsePolicy(`{"operator": {"cluster": "c", "member": ${i + 1}}}`));
  let n = 0;
  const random = (): number => n++ % 256;
  assert.throws(
    () => assignMember(parsePolicy('{"operator": {"cluster": "c"}}'), full, random),
    isError(180, /No free member id/),
  );
});

test('insert checks: cluster link, attribute types, required keys, cluster parents, unique keys, duplicate id', () => {
  const now = '2026-01-01T00:00:00.000000Z';
  const cases: [string, number, RegExp][] = [
    ['{"operator": {"name": "a", "company": "c", "ip": "1.2.3.4", "port": 1}}', 87, /not associated with a cluster/],
    [
      '{"operator": {"name": "a", "company": "c", "ip": "1.2.3.4", "port": 1, "cluster": "nope"}}',
      222,
      /Cluster policy 'nope' is referenced/,
    ],
    [
      `{"operator": {"name": "a", "company": "c", "ip": "1.2.3.4", "port": "1", "cluster": "${CLUSTER}"}}`,
      87,
      /Wrong data type for the attribute 'port:1' in the policy 'operator' \(requires <class 'int'>\)/,
    ],
    [
      `{"operator": {"name": "a", "ip": "1.2.3.4", "port": 1, "cluster": "${CLUSTER}"}}`,
      87,
      /without a value for the key: 'company'/,
    ],
    [
      '{"cluster": {"name": "new", "company": "c", "table": [{"dbms": "d"}]}}',
      87,
      /Policy 'cluster\[table\]' without a value for the key: 'name'/,
    ],
    ['{"cluster": {"name": "cl1", "company": "Test Co", "parent": "zzz"}}', 118, /Missing parent attribute/],
    [`{"cluster": {"name": "cl1", "company": "Other", "parent": "${CLUSTER}"}}`, 118, /Different company name/],
    [jsonDumps(golden[2]!), 180, /blockchain get table where dbms = test and name = readings$/],
    [
      '{"tag": {"id": "0f4cf65957ca5f10bad6c1d91deff13d", "date": "d"}}',
      70,
      /duplicate id: '0f4cf65957ca5f10bad6c1d91deff13d' for policy type: 'tag'/,
    ],
  ];
  for (const [text, code, message] of cases) {
    assert.throws(
      () => prepareInsert(parsePolicy(text), golden, { now, random: () => 9 }),
      isError(code, message),
      text,
    );
  }
});

test('a policy from the master (ledger: global) only gets the unique-key test', () => {
  const p = parsePolicy('{"operator": {"name": "far", "ip": "9.9.9.9", "port": 1, "ledger": "global"}}');
  const out = prepareInsert(p, golden, { now: '2026-01-01T00:00:00.000000Z' });
  assert.match(jsonDumps(out), /"date": "2026-01-01T00:00:00.000000Z", "ledger": "local"\}\}$/);
});
