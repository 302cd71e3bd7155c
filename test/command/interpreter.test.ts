// The script interpreter's dictionary behaviours (spec section 10): if/do/else, casts in comparisons, wait,
// print, process nesting, assignments, `<...>` joining and JSON continuation, on a real EdgeNode (no
// workers: only its dispatcher and dictionary are used). Control flow: interpreter-flow.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SERVICES } from '../../actors/index.js';
import { CommandError } from '../../base/errors.js';
import { MemorySink } from '../../base/log.js';
import { EdgeNode } from '../../node/node.js';

const script = (...lines: string[]): string => lines.join('\n');

function edgeNode(t: TestContext): { node: EdgeNode; out: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-interp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out: string[] = [];
  const node = new EdgeNode({
    name: 'interp-node',
    root: dir,
    ip: '127.0.0.1',
    services: SERVICES,
    supervisor: { strategy: 'one_for_one', intensity: 5, period: 10 },
    logSink: new MemorySink().sink,
    output: (text) => out.push(text),
  });
  return { node, out, dir };
}

async function runOn(node: EdgeNode, source: string): Promise<void> {
  await node.interpreter.runScript(source, 'test.al', { source: 'test' });
}

test('print and echo write resolved words to the console; if without then prints True/False', async (t) => {
  const { node, out } = edgeNode(t);
  await runOn(node, script('who = world', 'print hello !who', 'echo "quoted text" !missing', 'if !who == world'));
  assert.deepEqual(out, ['hello world', 'quoted text ', 'True']);
});

test('values compare as strings unless cast with .int (if !n > 9 with n = 12.7 is false)', async (t) => {
  const { node } = edgeNode(t);
  await runOn(
    node,
    script(
      'n = 12.7',
      'if !n > 9 then r1 = yes',
      'if !n.int > 9 then r2 = yes',
      'n = 12',
      'if !n > 9 then r3 = yes',
      'if !n.int > 9 then r4 = yes',
      'if !n.float >= 12 then r5 = yes',
      'if !n == 12 then r6 = yes',
    ),
  );
  const d = node.dict;
  assert.equal(d.get('r1'), undefined, '"12.7" > "9" is false as text');
  assert.equal(d.get('r2'), undefined, '.int of 12.7 is empty');
  assert.equal(d.get('r3'), undefined, '"12" > "9" is false as text');
  assert.equal(d.get('r4'), 'yes');
  assert.equal(d.get('r5'), 'yes');
  assert.equal(d.get('r6'), 'yes');
});

test('conditions combine with and, or, not and parentheses', async (t) => {
  const { node } = edgeNode(t);
  await runOn(
    node,
    script(
      'a = 1',
      'b = 2',
      'c = hello world',
      'if !a == 1 and !b == 2 then and1 = yes',
      'if !a == 1 and !b == 3 then and2 = yes',
      'if !a == 5 or !b == 2 then or1 = yes',
      'if not !a == 1 then not1 = yes',
      'if !a == 1 and (!b == 3 or not !b == 3) then paren = yes',
      'if !c contains world and !c startswith hello then words = yes',
      'x = if !a == 1',
    ),
  );
  const d = node.dict;
  assert.equal(d.get('and1'), 'yes');
  assert.equal(d.get('and2'), undefined);
  assert.equal(d.get('or1'), 'yes');
  assert.equal(d.get('not1'), undefined);
  assert.equal(d.get('paren'), 'yes');
  assert.equal(d.get('words'), 'yes');
  assert.equal(d.get('x'), 'True', 'x = if <cond> stores the result');
});

test('if ... then alone sets the result for following do, else and else if lines', async (t) => {
  const { node } = edgeNode(t);
  await runOn(
    node,
    script(
      'a = 1',
      'if !a == 1 then',
      'do r = one',
      'do r2 = also',
      'else r = other',
      'if !a == 2 then',
      'do s = two',
      'else if !a == 1 then t = one',
      'if !a == 3 then',
      'do u = three',
      'else v = not three',
    ),
  );
  const d = node.dict;
  assert.equal(d.get('r'), 'one');
  assert.equal(d.get('r2'), 'also');
  assert.equal(d.get('s'), undefined);
  assert.equal(d.get('t'), 'one');
  assert.equal(d.get('u'), undefined);
  assert.equal(d.get('v'), 'not three');
});

test('if ... then goto / call / end script steer the script', async (t) => {
  const { node } = edgeNode(t);
  await runOn(
    node,
    script(
      'a = 1',
      'if !a == 1 then goto one',
      'skipped = yes',
      ':one:',
      'if !a == 1 then call sub',
      'after = yes',
      'if !a == 1 then end script',
      'never = yes',
      ':sub:',
      'in_sub = yes',
      'return',
    ),
  );
  const d = node.dict;
  assert.equal(d.get('skipped'), undefined);
  assert.equal(d.get('in_sub'), 'yes');
  assert.equal(d.get('after'), 'yes');
  assert.equal(d.get('never'), undefined);
});

test('x = <command> stores the reply, x = !a + "-" + !b concatenates, x = "a b" drops the quotes', async (t) => {
  const { node } = edgeNode(t);
  await runOn(
    node,
    script(
      'v = get node name',
      'a = foo',
      'b = bar',
      'x = !a + "-" + !b',
      'q = "hello world"',
      'w = some plain words',
      'c = !a',
      'set s = !b',
      'n = 12',
      'm = !n.float',
      'gone = 1',
      'gone = ',
    ),
  );
  const d = node.dict;
  assert.equal(d.get('v'), 'interp-node');
  assert.equal(d.get('x'), 'foo-bar');
  assert.equal(d.get('q'), 'hello world');
  assert.equal(d.get('w'), 'some plain words');
  assert.equal(d.get('c'), 'foo');
  assert.equal(d.get('s'), 'bar');
  assert.equal(d.get('m'), '12.0');
  assert.equal(d.has('gone'), false, 'an empty value deletes the key');
});

test('set $NAME = value sets an environment variable that $NAME reads back', async (t) => {
  const { node } = edgeNode(t);
  t.after(() => delete process.env['ELRT_INTERP_TEST']);
  await runOn(node, script('set $ELRT_INTERP_TEST = hello', 'y = $ELRT_INTERP_TEST'));
  assert.equal(process.env['ELRT_INTERP_TEST'], 'hello');
  assert.equal(node.dict.get('y'), 'hello');
});

test('a <...> command over several lines is joined by single spaces', async (t) => {
  const { node } = edgeNode(t);
  await runOn(node, script('<x = ', '   hello', '', '   world>', 'after = 1'));
  assert.equal(node.dict.get('x'), 'hello world');
  assert.equal(node.dict.get('after'), '1');
});

test('a line with an open JSON brace continues until the braces balance', async (t) => {
  const { node } = edgeNode(t);
  await runOn(node, script('p = {"operator": {', '    "name": "op1",', '    "port": 32148}}', 'after = 1'));
  const p = node.dict.get('p')!;
  assert.deepEqual(JSON.parse(p), { operator: { name: 'op1', port: 32148 } });
  assert.equal(node.dict.get('after'), '1');
});

test('process runs a script file, nested scripts share the dictionary, and the outer one goes on', async (t) => {
  const { node, dir } = edgeNode(t);
  const inner = join(dir, 'inner.al');
  const deeper = join(dir, 'deeper.al');
  writeFileSync(inner, script('inner_ran = yes', 'process !deeper', 'end script', 'inner_after_end = yes'));
  writeFileSync(deeper, script('deeper_ran = !inner_ran'));
  node.dict.set('inner', inner);
  node.dict.set('deeper', deeper);
  await runOn(node, script('process !inner', 'outer_after = yes'));
  const d = node.dict;
  assert.equal(d.get('inner_ran'), 'yes');
  assert.equal(d.get('deeper_ran'), 'yes');
  assert.equal(d.get('inner_after_end'), undefined);
  assert.equal(d.get('outer_after'), 'yes');
});

test('wait sleeps for its seconds; wait ... for <cond> returns as soon as the condition holds', async (t) => {
  const { node } = edgeNode(t);
  const t0 = performance.now();
  await runOn(node, script('wait 0.1'));
  assert.ok(performance.now() - t0 >= 90);
  const t1 = performance.now();
  await runOn(node, script('x = 1', 'wait 5 for !x == 1'));
  assert.ok(performance.now() - t1 < 1000, 'the condition already held');
  await assert.rejects(runOn(node, script('wait soon')), /wait: expected 'wait <seconds>/);
});

test('control words outside a script are refused with error 2; end script and exit scripts are no-ops', async (t) => {
  const { node } = edgeNode(t);
  await assert.rejects(
    node.command('goto x', { source: 'cli' }),
    (e: unknown) => e instanceof CommandError && e.code === 2,
  );
  assert.equal(await node.command('end script', { source: 'cli' }), '');
  assert.equal(await node.command('exit scripts', { source: 'cli' }), '');
});
