// The bench summary is generated from every results file: the newest line of each figure wins, a dirty line
// never shows, and a target with no recorded figure still gets its row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsFiles, summaryText } from '../../bench/lib/summary.js';

const line = (bench: string, value: number, git: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ bench, value, unit: 'rows/s', baseline: 100, ratio: value / 100, git, dirty: false, ...extra });

test('summary: each figure from its newest line across the days, dirty lines never', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-summary-'));
  writeFileSync(
    join(dir, '2026-12-06.jsonl'),
    [line('ingest-sqlite', 66, 'aaa'), line('ingest-pg', 52, 'aaa')].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, '2026-12-07.jsonl'),
    [line('ingest-sqlite', 80, 'bbb'), line('ingest-sqlite', 99, 'ccc', { dirty: true })].join('\n') + '\n',
  );
  const files = resultsFiles(dir);
  assert.deepEqual(
    files.map((f) => f.slice(dir.length + 1)),
    ['2026-12-06.jsonl', '2026-12-07.jsonl'],
  );
  const text = summaryText(files);
  const row = (name: string): string => text.split('\n').find((l) => l.startsWith(`| \`${name}\``)) ?? '';
  assert.match(row('ingest-sqlite'), /\| 80 \| rows\/s .*\| bbb \| ratio ≥ 0\.75 \| yes \|/);
  assert.match(row('ingest-pg'), /\| 52 \| rows\/s .*\| aaa \| .* \| no: straddles its target/);
  assert.match(row('tcp-rtt'), /no recorded figure .* not measured/);
  assert.ok(!text.includes('"ccc"'), 'a dirty line is never shown');
  assert.match(
    text,
    /2 figures, the newest line of each from `bench\/results\/2026-12-06\.jsonl` \(1\), `bench\/results\/2026-12-07\.jsonl` \(1\)/,
  );
});

test('summary: no results is an error that says what to run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-summary-'));
  assert.throws(() => resultsFiles(dir), /npm run bench -- all/);
});
