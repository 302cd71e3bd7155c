// peer/destinations.ts: a `run client` destination parsed again from its text gives the same targets, a `!key` in
// it is resolved at each parse (its value may change), and a bad destination fails every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../protocols/command/lexer.js';
import { parseDestination } from '../../peer/destinations.js';

const parse = (text: string, resolve: (w: string) => string = () => '') => parseDestination(tokenize(text), 2, resolve);

test('the same destination parsed again gives the same targets and options', () => {
  const text = 'run client (10.0.0.1:2048, localhost:3000, 10.0.0.1:2048, subset = true, timeout = 7) get status';
  const first = parse(text);
  const again = parse(text);
  const want = {
    targets: [
      { ip: '10.0.0.1', port: 2048, label: '10.0.0.1:2048' },
      { ip: '127.0.0.1', port: 3000, label: '127.0.0.1:3000' },
    ],
    subset: true,
    timeoutS: 7,
    commandAt: 3,
  };
  assert.deepEqual(first, want);
  assert.deepEqual(again, want);
});

test('a !key in the destination is resolved at every parse', () => {
  let peers = '10.0.0.1:2048';
  const resolve = (w: string): string => (w === '!peers' ? peers : '');
  assert.deepEqual(
    parse('run client (!peers) get status', resolve).targets.map((t) => t.label),
    ['10.0.0.1:2048'],
  );
  peers = '10.0.0.2:2048,10.0.0.3:2048';
  assert.deepEqual(
    parse('run client (!peers) get status', resolve).targets.map((t) => t.label),
    ['10.0.0.2:2048', '10.0.0.3:2048'],
  );
});

test('a bad destination fails each time it is parsed', () => {
  for (let i = 0; i < 2; i++) assert.throws(() => parse('run client (10.0.0.1:99999) get status'), /wrong IP and port/);
});
