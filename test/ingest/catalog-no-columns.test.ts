// Rows with no key the table can hold (`{}`, `{"": 1}`, only reserved keys) are refused with the reason whether the
// table is new or already there. For an existing table the insert had no columns and its SQL did not parse: the
// batch was retried as a syntax error and went to the error directory as `near ")": syntax error`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../base/log.js';
import { Catalog, inferFrom } from '../../actors/operator/catalog.js';
import { classifyFailure } from '../../actors/operator/failures.js';
import { Status } from '../../base/status.js';

test('rows with no usable key are refused (error 171) on an existing table as on a new one', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-nocols-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const catalog = new Catalog(
    root,
    createLogger('test', () => undefined, 'error'),
  );
  await catalog.connect('lab', { type: 'sqlite' });
  t.after(() => catalog.disconnect('lab'));
  const c = (await catalog.open('lab'))!;
  const none = () => [];
  const refused = (err: unknown): boolean => {
    assert.match(String(err), /no usable columns for 'lab.r'/);
    assert.equal((err as { code?: number }).code, Status.OperatorNotAllowedWithTable);
    assert.equal(classifyFailure(err), 'refused');
    return true;
  };
  await assert.rejects(catalog.ensure(c, 'r', [''], none, true, false), refused);
  const b = inferFrom(() => [{ b: 2 }]);
  const tbl = await catalog.ensure(c, 'r', ['b'], b, true, false);
  assert.deepEqual(
    catalog.insertColumns(tbl, ['b']).map((x) => x.name),
    ['b'],
  );
  for (const keys of [[], [''], [' '], ['row_id', 'insert_timestamp']])
    await assert.rejects(catalog.ensure(c, 'r', keys, none, true, false), refused, JSON.stringify(keys));
  // A batch with one usable key goes on (its other rows get NULLs).
  assert.ok(await catalog.ensure(c, 'r', ['', 'b'], none, true, false));
});
