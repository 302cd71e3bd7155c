// The script interpreter against EdgeLake's command language (spec section 10): labels, goto,
// call/return, on error, if/do/else, casts in comparisons, wait, print, end script / exit scripts,
// process nesting, assignments, `<...>` joining and JSON continuation. Control flow runs on a host
// that records commands and fails on demand; the dictionary behaviours run on a real EdgeNode (no
// workers: only its dispatcher and dictionary are used).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SERVICES } from '../../actors/index.js';
import { Dictionary } from '../../protocols/command/dictionary.js';
import { Interpreter, ScriptError, type InterpreterHost } from '../../protocols/command/interpreter.js';
import { CommandError } from '../../runtime/errors.js';
import { MemorySink } from '../../runtime/log.js';
import { EdgeNode } from '../../runtime/node/node.js';

/** A host that records every command; `fail <code>` throws CommandError(code), `boom` an untyped Error. */
function recorder(files: Record<string, string> = {}): { interp: Interpreter; ran: string[]; out: string[] } {
  const ran: string[] = [];
  const out: string[] = [];
  const dict = new Dictionary({}, {});
  const host: InterpreterHost = {
    async run(text) {
      ran.push(text);
      const fail = /^fail (\d+)$/.exec(text);
      if (fail) throw new CommandError(`failed with ${fail[1]}`, { code: Number(fail[1]) });
      if (text === 'boom') throw new Error('boom');
      return '';
    },
    resolve: (w) => dict.resolveWord(w),
    readFile: async (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT: ${p}`);
      return f;
    },
    output: (t) => out.push(t),
    sleep: async () => undefined,
  };
  return { interp: new Interpreter(host), ran, out };
}

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

test('goto jumps to a label and skips the lines between', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(script('cmd a', 'goto skip', 'cmd b', ':skip:', 'cmd c'), 's.al', { source: 't' });
  assert.deepEqual(ran, ['cmd a', 'cmd c']);
  assert.equal(r.end, 'completed');
});

test('call runs a labelled block and return comes back after the call', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(
    script(
      'call sub',
      'cmd after',
      'end script',
      ':sub:',
      'cmd in sub',
      'call deeper',
      'return',
      ':deeper:',
      'cmd deeper',
      'return',
    ),
    's.al',
    { source: 't' },
  );
  assert.deepEqual(ran, ['cmd in sub', 'cmd deeper', 'cmd after']);
  assert.equal(r.end, 'ended');
});

test('return outside a call ends the script', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(script('cmd a', 'return', 'cmd b'), 's.al', { source: 't' });
  assert.deepEqual(ran, ['cmd a']);
  assert.equal(r.end, 'completed');
});

test('a failing command without a handler ends the script, naming the file and line', async () => {
  const { interp, ran } = recorder();
  await assert.rejects(
    interp.runScript(script('cmd a', 'fail 141', 'cmd b'), 's.al', { source: 't' }),
    (err: unknown) => {
      assert.ok(err instanceof ScriptError);
      assert.match(err.message, /^Script terminated on s\.al line 2: failed with 141 \(command: fail 141\)/);
      return true;
    },
  );
  assert.deepEqual(ran, ['cmd a', 'fail 141']);
});

test('on error ignore goes past every error, structural ones included', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(
    script('on error ignore', 'fail 2', 'fail 141', 'boom', 'fail 112', 'cmd end'),
    's.al',
    { source: 't' },
  );
  assert.equal(r.end, 'completed');
  assert.deepEqual(ran, ['fail 2', 'fail 141', 'boom', 'fail 112', 'cmd end']);
});

test('on error goto jumps to the handler on a non-structural error', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(
    script('on error goto handler', 'fail 141', 'cmd skipped', 'end script', ':handler:', 'cmd handled'),
    's.al',
    { source: 't' },
  );
  assert.deepEqual(ran, ['fail 141', 'cmd handled']);
  assert.equal(r.end, 'completed');
});

test('on error call runs the handler and returns to the line after the failure', async () => {
  const { interp, ran } = recorder();
  await interp.runScript(
    script('on error call handler', 'fail 56', 'cmd after', 'end script', ':handler:', 'cmd handled', 'return'),
    's.al',
    { source: 't' },
  );
  assert.deepEqual(ran, ['fail 56', 'cmd handled', 'cmd after']);
});

test('on error end script ends the script quietly', async () => {
  const { interp, ran } = recorder();
  const r = await interp.runScript(script('on error end script', 'fail 141', 'cmd b'), 's.al', { source: 't' });
  assert.equal(r.end, 'ended');
  assert.deepEqual(ran, ['fail 141']);
});

for (const mode of ['goto', 'call'] as const) {
  for (const [failing, code] of [
    ['boom', 1],
    ['fail 2', 2],
    ['fail 112', 112],
    ['process /nonexistent/script.al', 112],
  ] as const) {
    test(`error ${code} (${failing}) ends the script even under on error ${mode}`, async () => {
      const { interp, ran } = recorder();
      await assert.rejects(
        interp.runScript(script(`on error ${mode} handler`, failing, 'cmd b', ':handler:', 'cmd handled'), 's.al', {
          source: 't',
        }),
        (err: unknown) => err instanceof ScriptError && err.code === code,
      );
      assert.ok(!ran.includes('cmd handled'), 'the handler did not run');
      assert.ok(!ran.includes('cmd b'));
    });
  }
}

test('on error goto to a missing label is refused when the handler is set', async () => {
  const { interp } = recorder();
  await assert.rejects(
    interp.runScript(script('on error goto nowhere', 'cmd a'), 's.al', { source: 't' }),
    /no label ':nowhere:'/,
  );
});

test('end script ends only the current script; exit scripts ends the calling scripts too', async () => {
  const files = {
    '/s/ends.al': script('cmd inner 1', 'end script', 'cmd inner 2'),
    '/s/exits.al': script('cmd deep', 'exit scripts', 'cmd never'),
  };
  const { interp, ran } = recorder(files);
  const r = await interp.runScript(
    script('process /s/ends.al', 'cmd outer 1', 'process /s/exits.al', 'cmd outer 2'),
    'main.al',
    { source: 't' },
  );
  assert.equal(r.end, 'exit-scripts');
  assert.deepEqual(ran, ['cmd inner 1', 'cmd outer 1', 'cmd deep']);
});

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

test('a duplicate label fails the script before anything runs', async () => {
  const { interp, ran } = recorder();
  await assert.rejects(
    interp.runScript(script('cmd a', ':x:', ':x:'), 's.al', { source: 't' }),
    /label ':x:' is used more than once/,
  );
  assert.deepEqual(ran, []);
});
