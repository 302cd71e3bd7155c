// `set policy` and JSON references. Expected texts were produced by EdgeLake's set_policy
// (cmd/member_cmd.py L15647) and json_str_replace_key_with_value (generic/params.py L1284) on the same input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dictionary } from '../../../protocols/command/dictionary.js';
import { applySetPolicy, parseSetPolicy, substituteJsonRefs, typedResolver } from '../../../protocols/policy/build.js';
import { computePolicyId } from '../../../protocols/policy/id.js';
import { parsePolicy } from '../../../protocols/policy/pyvalue.js';
import { CommandError } from '../../../base/errors.js';

const VARS = {
  node_name: 'node1',
  company_name: 'Test Co',
  tcp_port: '32148',
  rest_port: '32149',
  cluster_id: 'cdf34d419daf168289697a2dec1d852c',
  lst: '["x"]',
  key: 'dyn',
  n: '12.7',
};

/** One `set policy` line against a dictionary, as the node's command would run it. */
function apply(d: Dictionary, line: string): void {
  const sp = parseSetPolicy(line);
  d.set(
    sp.name,
    applySetPolicy(
      sp.name,
      d.get(sp.name) ?? '',
      sp.words,
      typedResolver((w) => d.resolveWord(w)),
    ),
  );
}

function run(lines: string[], vars: Record<string, string> = VARS): Dictionary {
  const d = new Dictionary(vars, {});
  for (const line of lines) apply(d, line);
  return d;
}

const isCode = (code: number) => (e: unknown) => e instanceof CommandError && e.code === code;

test('the set-policy lines of run-edgelake.sh build the golden operator policy (ports as numbers)', () => {
  const d = run([
    'new_operator [operator] = {}',
    'new_operator [operator][name] = !node_name',
    'new_operator [operator][company] = !company_name',
    'new_operator [operator][ip] = 127.0.0.1',
    'new_operator [operator][local_ip] = 127.0.0.1',
    'new_operator [operator][port] = !tcp_port.int',
    'new_operator [operator][rest_port] = !rest_port.int',
    'new_operator [operator][cluster] = !cluster_id',
  ]);
  const text = d.get('new_operator')!;
  assert.equal(
    text,
    '{"operator": {"name": "node1", "company": "Test Co", "ip": "127.0.0.1", "local_ip": "127.0.0.1", "port": 32148, ' +
      '"rest_port": 32149, "cluster": "cdf34d419daf168289697a2dec1d852c"}}',
  );
  assert.equal(computePolicyId(parsePolicy(text)), '181fd35f24c2bc40e90b7d017baccade');
});

test('several assignments joined by and; literals stay text, casts give numbers', () => {
  const d = run([
    'p [config] = {} and [config][port] = 7848 and [config][list] = [] and [config][f] = !tcp_port.float',
  ]);
  assert.equal(d.get('p'), '{"config": {"port": "7848", "list": "[]", "f": 32148.0}}');
});

test('values: quotes dropped, lists appended with +, dictionary keys, undefined and failed casts empty', () => {
  const d = run([
    'p [c] = {}',
    `p [c][l2] = ['a', "b"]`,
    'p [c][l] = !lst',
    'p [c][l] + a and [c][l] + "b c"',
    'p[c][z] = 5',
    'p [c][und] = !undefined',
    'p [c][b] = !tcp_port.bool',
    'p [c][e] = ""',
    `p [c][q] = 'x'`,
    `p [c][q2] = "'hello'"`,
    `p ['c'][k] = v`,
    'p [c][!key] = v',
    'p [c][n] = !tcp_port.int and [c][m] = !tcp_port.len',
    'p [c][i] = !n.int and [c][f] = !n.float',
    'p [c][s] = [a, b] and [c][id] = [id] and [c][o] = {"a": [1, 2.5]}',
  ]);
  assert.equal(
    d.get('p'),
    '{"c": {"l2": ["a", "b"], "l": ["x", "a", "b c"], "z": "5", "und": "", "b": true, "e": "", "q": "x", "q2": "hello", ' +
      '"k": "v", "dyn": "v", "n": 32148, "m": 5, "i": "", "f": 12.7, "s": "[a, b]", "id": "[id]", "o": {"a": [1, 2.5]}}}',
  );
});

test('a JSON value replaces the subtree', () => {
  assert.equal(run(['p [c] = {"x": 1}', 'p [c] = {"replaced": true}']).get('p'), '{"c": {"replaced": true}}');
});

test('structure errors are CommandError code 2 and leave the variable unchanged', () => {
  const base = ['p [c] = {} and [c][s] = text'];
  const bad = [
    'p [c][s] + a', // not a list
    'p [c][x][y] = 1', // [x] does not exist
    'p [c] = abc [x] = y', // missing and
    'p [c] =', // incomplete
    'p [c] - 3', // not = or +
    'p [] = 3',
    'p x = 1',
    'p [c][s][t] = 1', // a text is not a dictionary
  ];
  const d = run(base);
  for (const line of bad) {
    assert.throws(() => apply(d, line), isCode(2), line);
    assert.equal(d.get('p'), '{"c": {"s": "text"}}');
  }
});

test('a variable that does not hold a JSON object is error 6', () => {
  assert.throws(() => run(['s [a] = 1'], { s: 'abc' }), isCode(6));
});

test('JSON references: strings quoted, casts as numbers, lists and objects as they are, quoted text untouched', () => {
  const d = new Dictionary(
    { node_name: 'node1', port: '32148', f: '2.5', lst: '["a", "b"]', sq: "'quoted'", q: `it's "x"` },
    {},
  );
  const resolve = typedResolver((w) => d.resolveWord(w));
  const text =
    '{"operator": {"name": !node_name, "port": !port.int, "rest": !port, "f": !f.float, "fi": !port.float, ' +
    '"s": "!node_name", "l": !lst, "sq": !sq, "b": !port.bool, "q": !q, "arr": [!node_name,!node_name]}}';
  assert.equal(
    substituteJsonRefs(text, resolve),
    '{"operator": {"name": "node1", "port": 32148, "rest": "32148", "f": 2.5, "fi": 32148.0, ' +
      '"s": "!node_name", "l": ["a", "b"], "sq": "quoted", "b": true, "q": "it\'s \\"x\\"", "arr": ["node1","node1"]}}',
  );
});

test('a JSON reference without a value is error 2', () => {
  assert.throws(
    () =>
      substituteJsonRefs(
        '{"a": !missing}',
        typedResolver(() => ''),
      ),
    isCode(2),
  );
});
