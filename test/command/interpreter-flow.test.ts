// The script interpreter's control flow (spec section 10): labels, goto, call/return, on error,
// end script / exit scripts, duplicate labels, on a host that records commands and fails on demand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dictionary } from '../../protocols/command/dictionary.js';
import {
  Interpreter,
  ScriptError,
  WrongMethodError,
  type InterpreterHost,
} from '../../protocols/command/interpreter.js';
import { CommandError } from '../../base/errors.js';

const script = (...lines: string[]): string => lines.join('\n');

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

test('on error goto to a missing label fails only when an error jumps to it (EdgeLake exec_script)', async () => {
  const { interp, ran } = recorder();
  const ok = await interp.runScript(script('on error goto nowhere', 'cmd a'), 's.al', { source: 't' });
  assert.equal(ok.end, 'completed');
  assert.deepEqual(ran, ['cmd a']);
  await assert.rejects(
    interp.runScript(script('on error goto nowhere', 'fail 141', 'cmd b'), 's.al', { source: 't' }),
    /s\.al line 2: no label ':nowhere:'/,
  );
  assert.ok(!ran.includes('cmd b'));
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

test('a duplicate label fails the script before anything runs', async () => {
  const { interp, ran } = recorder();
  await assert.rejects(
    interp.runScript(script('cmd a', ':x:', ':x:'), 's.al', { source: 't' }),
    /label ':x:' is used more than once/,
  );
  assert.deepEqual(ran, []);
});

// Found by fuzzing (test/fuzz): a loop of control lines never awaited anything and held the thread for ever (the
// node's main thread, for a `process` command); a `call` without `return` grew the stack until the heap ran out.
test('a script looping on goto yields to the event loop, so a timer can stop it', async () => {
  const { interp } = recorder();
  const ctl = new AbortController();
  let ticks = 0;
  const tick = setInterval(() => ticks++, 1);
  setTimeout(() => ctl.abort(), 30);
  try {
    const r = await interp.runScript(script(':a:', 'goto a'), 'loop.al', { source: 'test', signal: ctl.signal });
    assert.equal(r.end, 'exit-scripts');
    assert.ok(ticks > 0, 'timers ran while the script looped');
  } finally {
    clearInterval(tick);
  }
});

test('calls nested without return stop at a bounded depth with a typed error', async () => {
  const { interp } = recorder();
  await assert.rejects(
    interp.runScript(script(':a:', 'call a'), 'deep.al', { source: 'test' }),
    (e: unknown) => e instanceof ScriptError && /nested deeper than 1000/.test(e.message),
  );
});

test('under GET, process and thread are refused wherever they stand; the file is never read', async () => {
  const reads: string[] = [];
  const { interp, ran } = recorder({ 's.al': 'x = 1' });
  const host = (interp as unknown as { host: InterpreterHost }).host;
  const readFile = host.readFile.bind(host);
  host.readFile = async (p) => {
    reads.push(p);
    return readFile(p);
  };
  let spawned = 0;
  host.spawnScript = () => void spawned++;
  const env = { source: 'rest', method: 'GET' as const };
  for (const text of [
    'process s.al',
    'thread s.al',
    'if 1 == 1 then process s.al',
    'if 1 == 1 then do process s.al',
    'if 1 == 1 then do thread s.al',
    'if 1 == 1 then do do process s.al',
  ])
    await assert.rejects(interp.command(text, env), WrongMethodError, text);
  assert.deepEqual(reads, []);
  assert.equal(spawned, 0);
  assert.deepEqual(ran, []);
  // By POST (and from the node's own console, no method) the same run.
  await interp.command('if 1 == 1 then do process s.al', { source: 'rest', method: 'POST' });
  await interp.command('thread s.al', { source: 'console' });
  assert.deepEqual(reads, ['s.al']);
  assert.deepEqual(ran, ['x = 1']);
  assert.equal(spawned, 1);
});
