import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, prettyLine, prettySink, streamSink, REDACTED } from '../../base/log.js';
import { parseArgs } from '../../main/cli/args.js';

test('--log-level and --log-format are parsed, in both spellings, and bad values are refused by name', () => {
  const a = parseArgs(['start', 'node.yaml', '--log-level', 'debug', '--log-format=pretty', '--root', '/r']);
  assert.deepEqual([a.positional, a.logLevel, a.logFormat, a.root], [['node.yaml'], 'debug', 'pretty', '/r']);
  assert.equal(parseArgs(['start']).logFormat, 'json');
  assert.throws(() => parseArgs(['start', '--log-level', 'loud']), /--log-level must be debug, info, warn or error/);
  assert.throws(() => parseArgs(['start', '--log-format', 'xml']), /--log-format must be json or pretty/);
  assert.throws(() => parseArgs(['start', '--log-level']), /--log-level needs a value/);
});

test('a pretty line reads like a terminal log and keeps secrets redacted as the JSON lines do', () => {
  const pretty: string[] = [];
  const json: string[] = [];
  for (const [sink, out] of [
    [prettySink((l) => pretty.push(l), false), pretty],
    [streamSink((l) => json.push(l)), json],
  ] as const) {
    const log = createLogger('msg-client-1', sink, 'info').child('msg-client-1');
    log.debug('not shown at info');
    log.warn('broker refused', { broker: 'mqtt://h:1883', password: 'hunter2', detail: { api_key: 'k' }, n: 3 });
    assert.equal(out.length, 1);
  }
  assert.match(
    pretty[0]!,
    /^\d{2}:\d{2}:\d{2}\.\d{3} WARN  msg-client-1: broker refused broker=mqtt:\/\/h:1883 password=\*{6} detail=\{"api_key":"\*{6}"\} n=3\n$/,
  );
  assert.doesNotMatch(pretty[0]! + json[0]!, /hunter2|"k"/);
  assert.equal((JSON.parse(json[0]!) as { password: string }).password, REDACTED);
  // Colours only when asked (a TTY): the level is wrapped in an ANSI colour and reset.
  const rec = { ts: '2026-01-01T00:00:00.000Z', level: 'error' as const, src: 'operator', msg: 'x y', file: 'a b' };
  assert.equal(prettyLine(rec), '00:00:00.000 ERROR operator: x y file="a b"');
  assert.equal(prettyLine(rec, true), '00:00:00.000 \x1b[31mERROR\x1b[0m operator: x y file="a b"');
});
