// Script semantics EdgeLake's deployment scripts (EdgeLake/deployment-scripts, node-deployment/*.al) rely on, each
// as EdgeLake 1.4 runs it: a `!var` that starts a path, control words in `do`/`else`/`then` bodies, `on error goto`
// with a missing label, `x = <unknown command>`, `:` lines that are not labels, `get !var`, and a start script
// that fails without stopping the node. Runs on a real in-process node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';

interface Booted {
  running: RunningNode;
  root: string;
  out: string[];
  cmd(s: string): Promise<string>;
  get(name: string): string | undefined;
}

async function boot(t: TestContext, file?: (root: string) => string): Promise<Booted> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-sem-'));
  const out: string[] = [];
  const stops: string[] = [];
  const running = await bootNode({
    root,
    ...(file ? { file: file(root) } : {}),
    logSink: new MemorySink(1000).sink,
    output: (s) => out.push(s),
    onStop: (reason) => stops.push(reason),
  });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  return {
    running,
    root,
    out,
    cmd: (s) => running.node.command(s, { source: 'test' }),
    get: (n) => running.node.dict.get(n),
  };
}

const run = (n: Booted, name: string, ...lines: string[]): Promise<string> => {
  const file = join(n.root, name);
  writeFileSync(file, lines.join('\n'));
  return n.cmd(`process ${file}`);
};

test('a !var followed by a path expands the leading variable (process !local_scripts/sub/x.al)', async (t) => {
  const n = await boot(t);
  mkdirSync(join(n.root, 'scripts', 'node-deployment'), { recursive: true });
  writeFileSync(join(n.root, 'scripts', 'node-deployment', 'set_params.al'), 'set from_inner = yes\n');
  await n.cmd(`local_scripts = ${join(n.root, 'scripts')}`);
  await run(n, 'main.al', 'process !local_scripts/node-deployment/set_params.al', 'p = !local_scripts/a.b');
  assert.equal(n.get('from_inner'), 'yes');
  assert.equal(n.get('p'), `${join(n.root, 'scripts')}/a.b`);
  // A piece that does not resolve makes the whole value empty (params.py get_path), never half a path.
  assert.equal(await n.cmd('get !nowhere/x.al'), '');
});

test('do goto, else goto and else if ... then goto execute', async (t) => {
  const n = await boot(t);
  await run(
    n,
    'flow.al',
    'if 1 == 1 then',
    'do goto one',
    'set skipped1 = yes',
    ':one:',
    'if 1 == 2 then set never = yes',
    'else goto two',
    'set skipped2 = yes',
    ':two:',
    'if 1 == 2 then set never = yes',
    'else if 2 == 2 then goto three',
    'set skipped3 = yes',
    ':three:',
    'set reached = yes',
  );
  assert.equal(n.get('reached'), 'yes');
  assert.equal(n.get('skipped1'), undefined);
  assert.equal(n.get('skipped2'), undefined);
  assert.equal(n.get('skipped3'), undefined);
  assert.equal(n.get('never'), undefined);
});

test('do on error call sets the handler, and a nested do if sets the if-result for the next do lines', async (t) => {
  const n = await boot(t);
  await run(
    n,
    'nested.al',
    'if 1 == 1 then',
    'do on error call handler',
    'do xyzzy-not-a-command',
    'do if 1 == 2 then set never = yes',
    'do set after_false_if = yes',
    'set done = yes',
    'end script',
    ':handler:',
    'set handled = yes',
    'return',
  );
  assert.equal(n.get('handled'), 'yes');
  assert.equal(n.get('after_false_if'), undefined, 'the nested if was false: later do lines are skipped');
  assert.equal(n.get('done'), 'yes');
});

test('on error goto with a missing label only fails when an error happens', async (t) => {
  const n = await boot(t);
  await run(n, 'ok.al', 'on error goto almgm-table-error', 'set a = 1', 'set b = 2');
  assert.equal(n.get('b'), '2');
  await assert.rejects(run(n, 'bad.al', 'on error goto missing', 'xyzzy', 'set c = 3'), /no label ':missing:'/);
  assert.equal(n.get('c'), undefined);
});

test('x = <unknown command> leaves x unset (never its text); x = <command> stores the reply', async (t) => {
  const n = await boot(t);
  await n.cmd('hostname = stale');
  await assert.rejects(n.cmd('hostname = get no-such-thing'));
  assert.equal(n.get('hostname'), undefined, 'the old value is removed first, as EdgeLake does');
  await run(n, 'assign.al', 'on error ignore', 'y = get no-such-thing', 'v = get version', 'w = plain words');
  assert.equal(n.get('y'), undefined);
  assert.match(n.get('v') ?? '', /Version/);
  assert.equal(n.get('w'), 'plain words');
});

test('a line starting with : that is not a :label: is skipped', async (t) => {
  const n = await boot(t);
  await run(n, 'colon.al', 'set a = 1', ':partitioning-error;', ':create-contract-error', 'set b = 2');
  assert.equal(n.get('b'), '2');
});

test('get !var prints the value', async (t) => {
  const n = await boot(t);
  await n.cmd('abc = 12');
  assert.equal(await n.cmd('get !abc'), '12');
  assert.equal(await n.cmd('get !abc.int'), '12');
});

test('an unknown command in a start script fails that line; the node keeps running', async (t) => {
  let script = '';
  const n = await boot(t, (root) => {
    script = join(root, 'start.al');
    writeFileSync(script, ['set a = 1', 'xyzzy not a command', 'set b = 2'].join('\n'));
    return script;
  });
  assert.equal(n.get('a'), '1');
  assert.equal(n.get('b'), undefined, 'the script ended at the failing line');
  assert.ok(
    n.out.some((l) => /Script terminated on .*start\.al line 2/.test(l)),
    n.out.join('\n'),
  );
  assert.match(await n.cmd('get status'), /running/);
  // And the error is catchable in a script.
  await run(n, 'catch.al', 'on error goto caught', 'xyzzy', 'end script', ':caught:', 'set caught = yes');
  assert.equal(n.get('caught'), 'yes');
});

test('schedule name = .. and time = .. and task <cmd> is accepted (the `and` before task joins nothing)', async (t) => {
  const n = await boot(t);
  await n.cmd('schedule name = remove_archive and time = 1 day and task set scheduled_ran = yes');
  assert.match(await n.cmd('get scheduler 1'), /remove_archive/);
});

test('a one-word value that names a command needing more words is text (EdgeLake words_min)', async (t) => {
  const n = await boot(t);
  await run(n, 'one-word.al', 'f = json', 's = system', 'p = python', 'd = test');
  assert.equal(n.get('f'), 'json');
  assert.equal(n.get('s'), 'system');
  assert.equal(n.get('p'), 'python');
  assert.equal(n.get('d'), 'test');
});

test('under on error goto|call an unknown first word jumps to the label; an unknown set sub-command ends the script', async (t) => {
  const n = await boot(t);
  // main.al line 46 (`... then edgelake-error`): EdgeLake's Not_in_commands_dict is caught by `on error call`.
  await run(
    n,
    'caught.al',
    'on error call handler',
    'if 1 == 1 then edgelake-error',
    'set after = yes',
    'end script',
    ':handler:',
    'set handled = yes',
    'return',
  );
  assert.equal(n.get('handled'), 'yes');
  assert.equal(n.get('after'), 'yes');
  // vessel_aggregation_demo.al: `set aggregation ...` is a structure error (2), which `on error goto` does not catch.
  await assert.rejects(
    run(n, 'ends.al', 'on error goto oops', 'set aggregation where dbms = d and table = t', 'set past = yes', ':oops:'),
    /aggregation/,
  );
  assert.equal(n.get('past'), undefined);
});
