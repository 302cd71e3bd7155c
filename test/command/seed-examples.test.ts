// Every `run ... where` example of the seed documents parses into the right service and options, and
// the service's schema accepts them (test/fixtures/seed-run-examples.ts lists them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVICES } from '../../actors/index.js';
import { tokenize } from '../../protocols/command/lexer.js';
import { splitScript } from '../../protocols/command/script.js';
import { commandTable } from '../../node/commands/builtin/index.js';
import { CommandChecker } from '../../node/commands/check.js';
import { Dispatcher } from '../../node/commands/dispatcher.js';
import { EdgeRtError } from '../../base/errors.js';
import { FORCE_SYNC_EXAMPLE, SEED_RUN_EXAMPLES, TEST_DICTIONARY } from '../fixtures/seed-run-examples.js';
import { StubNode, runnable } from '../fixtures/stub-node.js';

const services = runnable(SERVICES);
const dispatcher = new Dispatcher(commandTable(services));
const checker = new CommandChecker(SERVICES);

/** The service whose `run` words the dispatcher's matching entry carries. */
function serviceOf(text: string): string | undefined {
  const spec = dispatcher.match(tokenize(text));
  if (!spec || spec.words[0] !== 'run') return undefined;
  const words = spec.words.slice(1).join(' ');
  return SERVICES.find((s) => s.run.some((r) => r.join(' ') === words))?.kind;
}

function subset(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `${what}: ${k}`);
}

test('the seed examples cover every service that the seeds show a run example for', () => {
  const kinds = new Set(SEED_RUN_EXAMPLES.map((e) => e.kind));
  for (const k of [
    'tcp-server',
    'rest-server',
    'blockchain-sync',
    'scheduler',
    'operator',
    'publisher',
    'blobs-archiver',
    'message-broker',
    'msg-client',
    'smtp-client',
    'kafka-consumer',
    'grpc-client',
    'data-distributor',
    'data-consumer',
  ])
    assert.ok(kinds.has(k), k);
  assert.ok(SEED_RUN_EXAMPLES.length >= 24);
});

for (const ex of SEED_RUN_EXAMPLES) {
  test(`seed example parses into ${ex.kind} with its options: ${ex.command.slice(0, 70)}`, async () => {
    if (ex.source !== undefined) {
      const lines = splitScript(ex.source);
      assert.equal(lines.length, 1, 'a <...> example is one command');
      assert.equal(lines[0]!.text, ex.command, 'multi-line joining');
    }
    assert.equal(serviceOf(ex.command), ex.kind, 'Dispatcher.match finds the service');
    const node = new StubNode(services, TEST_DICTIONARY);
    assert.equal(await dispatcher.run(ex.command, { source: 'test' }, node), '');
    assert.equal(node.started.length, 1, 'one service start');
    const started = node.started[0]!;
    assert.equal(started.kind, ex.kind);
    assert.deepEqual(started.raw, ex.options);
    const desc = SERVICES.find((s) => s.kind === ex.kind)!;
    const cfg = desc.schema.parse({ ...(desc.defaults?.(node) ?? {}), ...started.raw }, `run ${ex.kind}`);
    if (ex.parsed) subset(cfg as Record<string, unknown>, ex.parsed, ex.command);
    assert.deepEqual(checker.check(ex.command), [], 'the static checker accepts it');
  });
}

test('run blockchain sync without options (forcing a sync) matches the synchronizer and starts nothing', async () => {
  assert.equal(serviceOf(FORCE_SYNC_EXAMPLE.command), FORCE_SYNC_EXAMPLE.kind);
  const node = new StubNode(services, TEST_DICTIONARY);
  // No synchronizer runs on the stub node: a typed refusal, or nothing to do; never a new service.
  await dispatcher.run(FORCE_SYNC_EXAMPLE.command, { source: 'test' }, node).catch((err: unknown) => {
    assert.ok(err instanceof EdgeRtError, String(err));
  });
  assert.equal(node.started.length, 0);
});

test('`bind=false` without spaces is three tokens and the option bind = false', async () => {
  assert.deepEqual(
    tokenize('bind=false').map((t) => [t.kind, t.text]),
    [
      ['word', 'bind'],
      ['op', '='],
      ['word', 'false'],
    ],
  );
  const node = new StubNode(services);
  await dispatcher.run(
    'run tcp server where external_ip=127.0.0.1 and external_port=0 and bind=false',
    { source: 't' },
    node,
  );
  assert.deepEqual(node.started[0]!.raw, { external_ip: '127.0.0.1', external_port: '0', bind: 'false' });
});

test('a <run tcp server where ... > command over several lines, with comments between, joins into one', () => {
  const lines = splitScript(
    [
      '# a node script',
      '<run tcp server where',
      '   external_ip = !ip and external_port = !port and',
      '',
      '# the pool',
      '   threads = 3>',
      'get processes',
    ].join('\n'),
  );
  assert.deepEqual(
    lines.map((l) => [l.line, l.text]),
    [
      [2, 'run tcp server where external_ip = !ip and external_port = !port and threads = 3'],
      [7, 'get processes'],
    ],
  );
});
