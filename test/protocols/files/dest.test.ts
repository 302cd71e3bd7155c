// Error, archive and backup names, and the file hash (utils_io.py; interop vectors 4 and 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  archiveDateKey,
  archivePath,
  bkupFileName,
  createUniqueEpoch,
  errorFileName,
} from '../../../protocols/files/dest.js';
import { createFileHasher, fileHash } from '../../../protocols/files/hash.js';
import { fileHash as reexported } from '../../../protocols/files/names.js';

const VECTOR4_FILE = '{"ts": "2024-01-01T00:00:00Z", "v": 1}\n{"ts": "2024-01-01T00:00:01Z", "v": 2}\n';

test('interop vector 4: the hash is md5 of "<dbms>.<table>" then the file bytes', () => {
  assert.equal(fileHash('testdb', 't_file', VECTOR4_FILE), '424f12a43372de46df1b7d41bd78014e');
  assert.equal(
    fileHash('testdb', 't_file', new TextEncoder().encode(VECTOR4_FILE)),
    '424f12a43372de46df1b7d41bd78014e',
  );
  assert.equal(reexported('testdb', 't_file', VECTOR4_FILE), '424f12a43372de46df1b7d41bd78014e');
  assert.notEqual(fileHash('testdbt', '_file', VECTOR4_FILE), '424f12a43372de46df1b7d41bd78014e');
  const h = createFileHasher('testdb', 't_file');
  for (const line of VECTOR4_FILE.split(/(?<=\n)/)) h.update(line);
  assert.equal(h.digest('hex'), '424f12a43372de46df1b7d41bd78014e');
});

test('interop vector 8: the archive path comes from the date section', () => {
  const name = 'testdb.readings.0.0123456789abcdef0123456789abcdef.0.57.1.261124030637.json';
  assert.equal(archivePath(name, new Date('2001-01-01T00:00:00Z')), `26/11/24/${name}.gz`);
});

test('without a date section the archive uses the modification time, UTC', () => {
  assert.equal(archiveDateKey('testdb.readings.0.abc.0.json', new Date('2025-03-09T23:30:00Z')), '250309233000');
  assert.equal(
    archivePath('testdb.readings.0.abc.0.json', new Date('2025-03-09T23:30:00Z')),
    '25/03/09/testdb.readings.0.abc.0.json.gz',
  );
  // 12 digits that are no date (month 13) do not count.
  assert.equal(archiveDateKey('a.b.0.h.0.5.1.261324030637.json', new Date('2025-03-09T23:30:00Z')), '250309233000');
});

test('interop vector 8: a failed file goes to <name>.err_<code>.<epoch>.json', () => {
  assert.equal(
    errorFileName('testdb.bad.0.abc.0.57.2.261124030637.json', 67, 1764000000),
    'testdb.bad.0.abc.0.57.2.261124030637.err_67.1764000000.json',
  );
  assert.equal(errorFileName('a.b.0.0.sql', 16, 5), 'a.b.0.0.err_16.5.sql');
  assert.throws(() => errorFileName('noext', 1, 1), { name: 'ProtocolError' });
});

test('backup names: <name>.<epoch>.gz compressed, <base>.<epoch>.<type> moved', () => {
  assert.equal(bkupFileName('a.b.0.h.0.json', 1764000000, true), 'a.b.0.h.0.json.1764000000.gz');
  assert.equal(bkupFileName('a.b.0.0.0.0.sql', 7, true), 'a.b.0.0.0.0.sql.7.gz');
  assert.equal(bkupFileName('a.b.0.0.0.0.sql', 7, false), 'a.b.0.0.0.0.7.sql');
});

test('unique epochs step past each other within a second and when the clock goes back', () => {
  let now = 1_764_000_000_500;
  const next = createUniqueEpoch(() => now);
  assert.deepEqual([next(), next(), next()], [1764000000, 1764000001, 1764000002]);
  now = 1_764_000_010_000;
  assert.equal(next(), 1764000010);
  now = 1_764_000_000_000;
  assert.equal(next(), 1764000011);
});
