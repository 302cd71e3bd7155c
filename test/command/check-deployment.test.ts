// `edgelake-rt check` finds what the node refuses when the line runs and leaves what only run time decides:
// unknown commands on the right of `=`, in do/else/then bodies, in `schedule ... task` and in a config policy's
// script list are errors; a missing label and an `if` without `then` are warnings; a body under a false literal
// condition is dead; `process` is followed into files that exist. With EDGELAKE_DEPLOY_SCRIPTS set, the share of
// the deployment scripts' .al files that pass is measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES } from '../../actors/index.js';
import { CommandChecker } from '../../node/commands/check.js';

const checker = new CommandChecker(SERVICES);
const report = (...lines: string[]): { errors: string[]; warnings: string[] } =>
  checker.checkScriptReport(lines.join('\n'), 's.al');

test('unknown commands on the right of =, in do/else bodies and in schedule task are errors', () => {
  const r = report(
    'hostname = get hostnme',
    'v = get version',
    'if !a then',
    'do set internal ip wiht eth0',
    'else xyzzy now',
    'schedule name = x and time = 1 day and task delete archiv where days = 3',
    'schedule name = y and time = 1 day and task delete archive where days = 3',
    'w = plain words here',
  );
  assert.equal(r.errors.length, 4, r.errors.join('\n'));
  assert.match(r.errors[0]!, /line 1, column 12: unknown command "get hostnme"/);
  assert.match(r.errors[1]!, /line 4, column 4: unknown command "set internal ip"/);
  assert.match(r.errors[2]!, /line 5, column 6: unknown command "xyzzy now"/);
  assert.match(r.errors[3]!, /line 6, column 45: unknown command "delete archiv where"/);
});

test('a config policy script list is checked entry by entry', () => {
  const r = report(
    '<set policy p [config][script] = [',
    '  "run scheduler 1",',
    '  "run streamr"',
    ']>',
    'c = {"config": {"name": "x", "script": ["get status", "if !a then get nothing-here"]}}',
  );
  assert.equal(r.errors.length, 2, r.errors.join('\n'));
  assert.match(r.errors[0]!, /config policy script entry "run streamr": unknown command/);
  assert.match(r.errors[1]!, /config policy script entry "if !a then get nothing-here": unknown command/);
});

test('missing labels and if-without-then are warnings; a false literal condition is dead code; !vars are run time', () => {
  const r = report(
    'on error goto nowhere',
    'if !x then goto missing',
    'if !x != true goto missing-too',
    'if error_code == 3 then declare-policy-error',
    'run tcp server where threads = !threads and external_ip = !ip',
    'process !local_scripts/node-deployment/set_params.al',
  );
  assert.deepEqual(r.errors, []);
  assert.equal(r.warnings.length, 3, r.warnings.join('\n'));
  assert.match(r.warnings[0]!, /no label ':nowhere:'/);
  assert.match(r.warnings[1]!, /no label ':missing:'/);
  assert.match(r.warnings[2]!, /'if' without 'then': EdgeLake reads 'goto missing-too' as part of the condition/);
  // The same if with a condition that depends on the dictionary is checked.
  assert.match(report('if !error_code == 3 then declare-policy-error').errors[0]!, /unknown command/);
});

test("what the node refuses under 'on error ignore' is a warning: EdgeLake's script goes on past it", () => {
  const r = report(
    'on error goto oops',
    'x = file check /var/run/docker.sock',
    'on error ignore',
    'y = file check /var/run/docker.sock',
    'if !y != then goto oops',
    'on error call oops',
    'z = file check /tmp',
    'if !y then edgelake-error',
    ':oops:',
    'end script',
  );
  // An unknown sub-command of a known word (`file`) is a structure error: `on error goto|call` does not catch it.
  assert.equal(r.errors.length, 2, r.errors.join('\n'));
  assert.match(r.errors[0]!, /line 2, column 5: unknown command "file check/);
  assert.match(r.errors[1]!, /line 7, column 5: unknown command "file check/);
  assert.equal(r.warnings.length, 3, r.warnings.join('\n'));
  assert.match(r.warnings[0]!, /line 4, column 5: unknown command .*skipped under 'on error ignore'/);
  assert.match(r.warnings[1]!, /line 5, .*skipped under 'on error ignore'/);
  // An unknown first word (EdgeLake's Not_in_commands_dict) jumps to the label.
  assert.match(r.warnings[2]!, /line 8, column 12: unknown command "edgelake-error".*caught by 'on error call'/);
});

test('process is followed into a file that exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-checkinc-'));
  try {
    writeFileSync(join(dir, 'inner.al'), 'set a = 1\nget nothing-here\n');
    const outer = join(dir, 'outer.al');
    writeFileSync(outer, `process ${join(dir, 'inner.al')}\nprocess ${join(dir, 'absent.al')}\n`);
    const r = checker.checkScriptReport(readFileSync(outer, 'utf8'), outer);
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(r.errors[0]!, /inner\.al line 2, column 1: unknown command "get nothing-here"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SCRIPTS = process.env['EDGELAKE_DEPLOY_SCRIPTS'];

test(
  'the deployment scripts pass check (the files that fail are listed in README)',
  { skip: SCRIPTS ? false : 'EDGELAKE_DEPLOY_SCRIPTS is not set (a checkout of EdgeLake/deployment-scripts)' },
  () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (n.startsWith('.')) continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.al')) files.push(p);
      }
    };
    walk(SCRIPTS!);
    const failing = files
      .filter((f) => checker.checkScriptReport(readFileSync(f, 'utf8'), f).errors.length > 0)
      .map((f) => f.slice(SCRIPTS!.length + 1))
      .sort();
    // README "edgelake-rt check on the deployment scripts" lists these, each with the upstream line.
    assert.deepEqual(failing, ['data-generator/vessel_aggregation_demo.al', 'sample-scripts/basic_kafka_client.al']);
    assert.ok(files.length >= 69, `${files.length} files`);
    // The bar: at least 95% of the files pass (66 of 69); 67 do.
    assert.ok(
      (files.length - failing.length) / files.length >= 0.95,
      `${files.length - failing.length} of ${files.length}`,
    );
  },
);
