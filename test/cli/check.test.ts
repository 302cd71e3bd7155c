// `edgelake-rt check node.yaml|script.al` as a child process: every error printed with its YAML path and
// line or its script line and column, exit status 1, and nothing run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../../harness/cli.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('check accepts the example node.yaml', async () => {
  const r = await runCli(['check', 'examples/node.yaml']);
  assert.equal(r.stdout, 'examples/node.yaml: OK\n');
  assert.equal(r.code, 0);
});

test('check node.yaml prints every error with its YAML path and line, and exits 1', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'node.yaml');
  writeFileSync(
    file,
    [
      'node:', //                                   1
      '  name: bad-node', //                        2
      '  colour: blue', //                          3 unknown option of node
      'nodes: 1', //                                4 unknown top-level key
      'services:', //                               5
      '  operater: true', //                        6 unknown service
      '  tcp_server:', //                           7
      '    threads: many', //                       8 wrong type
      '    external_prt: 32148', //                 9 unknown option
      '  operator:', //                             10
      '    compress_json: yes', //                  11 wrong type (a string in YAML 1.2)
      'supervisor:', //                             12
      '  strategy: one_for_some', //                13 bad strategy
      '  restart:', //                              14
      '    scheduler: sometimes', //                15 bad restart type
      'commands:', //                               16
      '  - run tcp servr where threads = 1', //     17 unknown command
      '',
    ].join('\n'),
  );
  const r = await runCli(['check', file]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const expect: [number, RegExp][] = [
    [4, /: nodes: unknown key \(known: node, dbms, services, supervisor, commands\)$/],
    [3, /: node\.colour: unknown option/],
    [6, /: services\.operater: unknown service \(known: .*operator/],
    [8, /: services\.tcp_server\.threads: expected an integer >= 1 <= 64 \(got "many"\)$/],
    [9, /: services\.tcp_server\.external_prt: unknown option/],
    [11, /: services\.operator\.compress_json: expected true\|false \(got "yes"\)$/],
    [13, /: supervisor\.strategy: expected one_for_one\|one_for_all\|rest_for_one \(got "one_for_some"\)$/],
    [15, /: supervisor\.restart\.scheduler: expected permanent\|transient\|temporary \(got "sometimes"\)$/],
    [17, /: commands\[0\] \(column 1\): unknown command "run tcp servr"$/],
  ];
  for (const [line, re] of expect) {
    const hit = lines.find((l) => l.startsWith(`${file}:${line}:`) && re.test(l));
    assert.ok(hit, `line ${line} ${re} in:\n${r.stdout}`);
  }
  assert.equal(lines.at(-1), `${expect.length} errors`);
  assert.equal(lines.length, expect.length + 1, r.stdout);
});

test('check script.al reports syntax errors with their line and column without running anything', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.al');
  const marker = join(dir, 'should-not-exist');
  writeFileSync(
    file,
    [
      '# a script with errors', //                                  1
      `set anylog home ${marker}`, //                                 2 would create a directory if run
      'run tcp servr where threads = 3', //                           3 unknown command
      'goto nowhere', //                                              4 missing label
      'run operator where compress_json = yes and threads = 1', //    5 wrong type
      '<run tcp server where', //                                     6
      '   external_ip = 127.0.0.1 and', //                            7
      '   thread = 3>', //                                            8 unknown option (line 8 of a joined command)
      'run tcp server where threads = 3 and', //                      9 trailing and
      'if !x == 1 then goto done', //                                 10
      ':done:', //                                                    11
      'print ok', //                                                  12
    ].join('\n'),
  );
  const r = await runCli(['check', file]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  // A missing label is a warning: EdgeLake looks a label up only when it jumps (exec_script).
  assert.deepEqual(lines.slice(0, 3), [
    `warning: ${file} line 4, column 6: no label ':nowhere:' in the script (EdgeLake fails only if it jumps there)`,
    `${file} line 3, column 1: unknown command "run tcp servr"`,
    `${file} line 5, column 20: run operator.compress_json: expected true|false (got "yes")`,
  ]);
  assert.match(
    lines[3]!,
    /^.*bad\.al line 8, column 4: run tcp server\.thread: unknown option \(known: .*\bthreads\b.*\)$/,
  );
  assert.deepEqual(lines.slice(4), [`${file} line 9, column 34: 'and' at the end of the options`, '4 errors']);
  assert.equal(existsSync(marker), false, 'nothing was run');
});

test('check of a clean script says OK and exits 0', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ok.al');
  writeFileSync(file, ['on error goto fail', 'run scheduler 1', 'end script', ':fail:', 'print failed'].join('\n'));
  const r = await runCli(['check', file]);
  assert.equal(r.stdout, `${file}: OK\n`);
  assert.equal(r.code, 0);
});
