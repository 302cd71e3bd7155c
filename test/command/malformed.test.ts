// Malformed commands and scripts give typed errors (CommandSyntaxError / CommandError / ConfigError) that name
// the key, and for scripts the line and column; a bounded fuzz loop checks that nothing else escapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVICES } from '../../actors/index.js';
import { parseCondition } from '../../protocols/command/condition.js';
import { Interpreter, ScriptError } from '../../protocols/command/interpreter.js';
import { CommandSyntaxError, tokenize } from '../../protocols/command/lexer.js';
import { splitScript } from '../../protocols/command/script.js';
import { parseWhere } from '../../protocols/command/where.js';
import { commandTable } from '../../node/commands/builtin/index.js';
import { CommandChecker } from '../../node/commands/check.js';
import { Dispatcher } from '../../node/commands/dispatcher.js';
import { CommandError, EdgeRtError } from '../../base/errors.js';
import { StubNode, runnable } from '../fixtures/stub-node.js';

const services = runnable(SERVICES);
const dispatcher = new Dispatcher(commandTable(services));
const checker = new CommandChecker(SERVICES);

interface Bad {
  text: string;
  message: RegExp;
  /** Offset the CommandSyntaxError points at, when the parser knows it. */
  pos?: number;
  /** The static checker validates `run` options and command words; not handler-level arguments. */
  runtimeOnly?: boolean;
}

const BAD: Bad[] = [
  { text: 'run tcp server where external_ip = "10.0.0.1 and threads = 3', message: /unterminated quote "/, pos: 35 },
  { text: "run tcp server where external_ip = '10.0.0.1", message: /unterminated quote '/, pos: 35 },
  {
    text: 'run msg client where broker = x and topic = (name = t and dbms = d',
    message: /missing '\)' for '\('/,
    pos: 44,
  },
  { text: 'run operator where limit_tables = [a, b', message: /missing '\]'/, pos: 34 },
  { text: 'run tcp server where threads = 3 )', message: /unexpected '\)'/, pos: 33 },
  // A closer glued to a word is part of the word (as in EdgeLake); the value is then wrong.
  { text: 'run tcp server where threads = 3)', message: /threads: expected an integer >= 1 <= 64 \(got "3\)"\)/ },
  { text: 'run tcp server where threads = {"a": 1', message: /missing '\}' for '\{'/ },
  { text: 'run tcp server where threads 3', message: /expected '=' after 'threads'/, pos: 29 },
  { text: 'run tcp server where threads = 3 and', message: /'and' at the end of the options/ },
  { text: 'run tcp server where threads = ', message: /missing value for 'threads'/ },
  { text: 'run tcp server where = 3', message: /expected an option name, found '='/ },
  { text: 'run tcp server where', message: /'where' with no options/ },
  { text: 'run tcp server where thread = 3', message: /run tcp server\.thread: unknown option/, pos: 21 },
  { text: 'run tcp server where threads = many', message: /threads: expected an integer >= 1 <= 64 \(got "many"\)/ },
  { text: 'run operator where compress_json = yes', message: /compress_json: expected true\|false \(got "yes"\)/ },
  { text: 'run operator where threads = 3 and threads = 4', message: /threads: given 2 times; expected once/ },
  {
    text: 'run tcp server where external_port = 70000',
    message: /external_port: expected an integer >= 0 <= 65535 \(got "70000"\)/,
  },
  {
    text: 'run blockchain sync where dest = file and dest = ftp',
    message: /dest\[1\]: expected file\|dbms \(got "ftp"\)/,
  },
  { text: 'run blockchain sync where time = soon', message: /time: expected a duration/ },
  {
    text: 'run msg client where broker = x and topic = (name = t and qos = 5)',
    message: /topic\.qos: expected an integer >= 0 <= 2 \(got "5"\)/,
  },
  { text: 'run msg client where broker = x and topic = (dbms = d)', message: /topic\.name: required/ },
  { text: 'run smtp client where email = a@b.c', message: /password: required/ },
  { text: 'run tcp server 10.0.0.1 32148 10.0.0.1 32149 6 extra', message: /unexpected 'extra'/, runtimeOnly: true },
  { text: 'run scheduler 1 2', message: /at most one scheduler id/, runtimeOnly: true },
  { text: 'get xyzzy', message: /unknown 'get' command/ },
  { text: 'xyzzy now', message: /Unrecognized Command: 'xyzzy'/ },
  { text: 'x = !a + + !b', message: /'\+' without a value before it/, runtimeOnly: true },
  { text: 'x = !a + "-" !b', message: /missing '\+' before '!b'/, runtimeOnly: true },
  { text: 'x = !a +', message: /'\+' at the end of the value/, runtimeOnly: true },
  {
    text: 'get processes where format = xml',
    message: /format: expected table\|json \(got "xml"\)/,
    runtimeOnly: true,
  },
];

for (const bad of BAD) {
  test(`malformed command is a typed error naming what is wrong: ${bad.text}`, async () => {
    const node = new StubNode(services, { a: 'foo', b: 'bar' });
    await assert.rejects(dispatcher.run(bad.text, { source: 'test' }, node), (err: unknown) => {
      assert.ok(err instanceof EdgeRtError, `typed error, got ${String(err)}`);
      assert.match(err.message, bad.message);
      if (bad.pos !== undefined) {
        assert.ok(err instanceof CommandSyntaxError, 'a CommandSyntaxError with a position');
        assert.equal(err.pos, bad.pos);
      }
      return true;
    });
    assert.equal(node.started.length, 0, 'nothing was started');
    if (!bad.runtimeOnly) assert.ok(checker.check(bad.text).length > 0, 'the static checker finds it too');
  });
}

test('a script error is reported with its file, line and column', async () => {
  const source = [
    '# setup',
    'set a = 1',
    '<run tcp server where',
    '    external_ip = 127.0.0.1 and',
    '    threads = many>',
    'print done',
  ].join('\n');
  const node = new StubNode(services);
  const interp = new Interpreter({
    run: (text, env) => dispatcher.run(text, env, node),
    resolve: (w) => node.resolve(w),
    readFile: async () => source,
    output: () => undefined,
    sleep: async () => undefined,
  });
  await assert.rejects(interp.runScript(source, 'node.al', { source: 'test' }), (err: unknown) => {
    assert.ok(err instanceof ScriptError);
    assert.match(err.message, /^Script terminated on node\.al line 5, column 5: .*threads: expected an integer/);
    return true;
  });
  assert.deepEqual(checker.checkScript(source, 'node.al'), [
    'node.al line 5, column 5: run tcp server.threads: expected an integer >= 1 <= 64 (got "many")',
  ]);
});

test('the static checker reports every bad line of a script with line and column', () => {
  const source = [
    'run tcp server where external_ip = 127.0.0.1 and thread = 3',
    'goto nowhere',
    'run opertor where x = 1',
    'if !a == 1 then run operator where compress_json = yes',
    ':ok:',
    'on error goto missing',
    'print fine',
  ].join('\n');
  const { errors: problems, warnings } = checker.checkScriptReport(source, 'bad.al');
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /^bad\.al line 1, column 50: run tcp server\.thread: unknown option/);
  assert.match(problems[1]!, /^bad\.al line 3, column 1: unknown command "run opertor where"/);
  assert.match(problems[2]!, /^bad\.al line 4, column 36: run operator\.compress_json: expected true\|false/);
  // Labels are looked up when a jump happens (EdgeLake exec_script): missing ones are warnings.
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.match(warnings[0]!, /^bad\.al line 2, column 6: no label ':nowhere:' in the script/);
  assert.match(warnings[1]!, /^bad\.al line 6, column 15: no label ':missing:'/);
});

// ---- fuzz ----

const ALPHABET = [
  'run',
  'tcp',
  'server',
  'msg',
  'client',
  'operator',
  'blockchain',
  'sync',
  'scheduler',
  'where',
  'and',
  'or',
  'not',
  '=',
  '==',
  '!=',
  '>',
  '<',
  '>=',
  '"',
  "'",
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '!ip',
  '!port',
  '!a.int',
  '$HOME',
  'threads',
  '3',
  '-1',
  '12.7',
  'many',
  'true',
  'yes',
  'topic',
  'name',
  'x',
  '+',
  'if',
  'then',
  'do',
  'else',
  'get',
  'processes',
  'status',
  'set',
  'print',
  'echo',
  'schedule',
  'time',
  '1',
  'minute',
  'task',
  'exit',
  'node',
  'dest',
  'file',
  'bind',
  'column.value.int',
  'bring',
  'goto',
  'call',
  'return',
  'on',
  'error',
  'ignore',
  'end',
  'script',
  'help',
  'format',
  'json',
  '\n',
  '<',
  '>',
  ':lbl:',
  'dictionary',
  'value',
  'key',
  'stop',
  'remove',
];

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function typedOnly(what: string, text: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof EdgeRtError))
      assert.fail(`${what} threw ${String(err)} (not a typed error) for ${JSON.stringify(text)}`);
  }
}

test('fuzzed command text gives only typed errors from tokenize, parseWhere, Dispatcher.run and the checker', async () => {
  const rand = prng(20260601);
  const node = new StubNode(services, { ip: '10.0.0.1', port: '32148', a: '12' });
  const interp = new Interpreter({
    run: (text, env) => dispatcher.run(text, env, node),
    resolve: (w) => node.resolve(w),
    readFile: async (p) => {
      throw new CommandError(`no file ${p} in the fuzz test`);
    },
    output: () => undefined,
    sleep: async () => undefined,
    spawnScript: () => undefined,
  });
  node.onCommand = (text, env) => interp.command(text, env);
  let typed = 0;
  for (let i = 0; i < 2500; i++) {
    const n = 1 + Math.floor(rand() * 12);
    let text = '';
    for (let k = 0; k < n; k++) {
      text += ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
      if (rand() < 0.8) text += ' ';
    }
    typedOnly('tokenize', text, () => tokenize(text));
    typedOnly('tokenize(comparisons)', text, () => tokenize(text, { comparisons: true }));
    typedOnly('parseWhere', text, () => parseWhere(tokenize(text)));
    typedOnly('parseCondition', text, () => parseCondition(text));
    typedOnly('splitScript', text, () => splitScript(text));
    typedOnly('checkScript', text, () => checker.checkScript(text, 'fuzz.al'));
    const problems = checker.check(text);
    assert.ok(Array.isArray(problems), 'check returns its problems, it does not throw');
    try {
      await dispatcher.run(text, { source: 'fuzz' }, node);
    } catch (err) {
      if (!(err instanceof EdgeRtError))
        assert.fail(`Dispatcher.run threw ${String(err)} (not a typed error) for ${JSON.stringify(text)}`);
      typed++;
    }
    try {
      await interp.runScript(text, 'fuzz.al', { source: 'fuzz' });
    } catch (err) {
      if (!(err instanceof EdgeRtError))
        assert.fail(`runScript threw ${String(err)} (not a typed error) for ${JSON.stringify(text)}`);
    }
  }
  assert.ok(typed > 500, `most random text is refused (${typed})`);
});
