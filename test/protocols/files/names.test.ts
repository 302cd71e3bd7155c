// watch_dir file names (utils_io.py L91-161; spec section 3, interop vectors 3 and 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../base/errors.js';
import {
  FILE_NAME_ERROR,
  dateKey,
  formatFileName,
  parseFileName,
  tsdFileName,
  type JsonFileName,
} from '../../../protocols/files/names.js';

function rejects(name: string, reason: RegExp): void {
  assert.throws(
    () => parseFileName(name),
    (err: unknown) => err instanceof ProtocolError && err.code === FILE_NAME_ERROR && reason.test(err.message),
    name,
  );
}

function json(name: string): JsonFileName {
  const p = parseFileName(name);
  assert.equal(p.type, 'json');
  return p as JsonFileName;
}

test('interop vector 3: the 8-section json name and the sql name', () => {
  const p = json('lsl.ping.0.abc.0.57.12.240501100000.json');
  assert.deepEqual(p, {
    type: 'json',
    fileName: 'lsl.ping.0.abc.0.57.12.240501100000.json',
    dbms: 'lsl',
    table: 'ping',
    source: '0',
    hash: 'abc',
    instructions: '0',
    warnings: [],
    tsd: { member: 57, rowId: '12', date: '240501100000' },
  });
  const sql = parseFileName('lsl.ping.par1.dev.abc.0.sql');
  assert.equal(sql.type, 'sql');
  assert.deepEqual(sql.type === 'sql' && [sql.partition, sql.source, sql.hash, sql.instructions, sql.rest], [
    'par1',
    'dev',
    'abc',
    '0',
    [],
  ]);
});

test('interop vector 3: six sections or one are error 119', () => {
  rejects('lsl.ping.0.abc.0.57.json', /6 sections/);
  rejects('lsl.json', /missing dbms\.table/);
  rejects('a.b.c.d.e.f.g.json', /7 sections/);
  rejects('a.b.c.d.e.f.g.h.i.json', /9 sections/);
});

test('missing sections take their defaults; case is kept; a directory is ignored', () => {
  const p = json('/data/watch/TestDB.Readings.json');
  assert.deepEqual(
    [p.dbms, p.table, p.source, p.hash, p.instructions, p.tsd],
    ['TestDB', 'Readings', '0', '0', '0', undefined],
  );
  assert.equal(json('C:\\watch\\a.b.dev.json').source, 'dev');
  const sql = parseFileName('a.b.sql');
  assert.deepEqual(sql.type === 'sql' && [sql.partition, sql.source, sql.hash, sql.instructions], ['0', '0', '0', '0']);
});

test("the tsd member is an integer or '@', the row id is not 0, a short date only warns", () => {
  assert.equal(json('a.b.0.h.0.@.7.240501100000.json').tsd?.member, '@');
  rejects('a.b.0.h.0.x57.12.240501100000.json', /neither an integer nor @/);
  rejects('a.b.0.h.0.-3.12.240501100000.json', /neither an integer nor @/);
  rejects('a.b.0.h.0.57.0.240501100000.json', /missing a row ID/);
  rejects('a.b.0.h.0.57.12a.240501100000.json', /not a positive integer/);
  const short = json('a.b.0.h.0.57.12.2405.json');
  assert.equal(short.tsd?.date, '2405');
  assert.equal(short.warnings.length, 1);
});

test('gz names give the name inside; other types and empty dbms or table are 119', () => {
  assert.deepEqual(parseFileName('a.b.0.h.0.json.gz'), {
    type: 'gz',
    fileName: 'a.b.0.h.0.json.gz',
    inner: 'a.b.0.h.0.json',
  });
  rejects('a.b.txt', /unsupported file type/);
  rejects('noext', /unsupported file type/);
  rejects('.b.json', /empty dbms or table/);
  rejects('.gz', /nothing before/);
});

test('formatFileName writes what REST and the streamer write, and refuses dots in sections', () => {
  assert.equal(
    formatFileName({ dbms: 'testdb', table: 't_file', hash: '424f12a43372de46df1b7d41bd78014e' }),
    'testdb.t_file.0.424f12a43372de46df1b7d41bd78014e.0.json',
  );
  assert.throws(() => formatFileName({ dbms: 'a.b', table: 't' }), { name: 'ProtocolError' });
  assert.throws(() => formatFileName({ dbms: 'a', table: '../t' }), { name: 'ProtocolError' });
  const round = json(
    formatFileName({
      dbms: 'd',
      table: 't',
      source: 's',
      hash: 'h',
      instructions: 'i',
      tsd: { member: 3, rowId: '9', date: '261124030637' },
    }),
  );
  assert.deepEqual(
    [round.source, round.hash, round.instructions, round.tsd],
    ['s', 'h', 'i', { member: 3, rowId: '9', date: '261124030637' }],
  );
});

test('after tsd_info the file is renamed to 8 sections with a UTC YYMMDDHHMMSS', () => {
  const p = json('testdb.readings.0.abc.0.json');
  const when = new Date('2026-11-24T03:06:37.500Z');
  assert.equal(dateKey(when), '261124030637');
  assert.equal(tsdFileName(p, 57, 1, when), 'testdb.readings.0.abc.0.57.1.261124030637.json');
  assert.equal(tsdFileName(p, '@', '4', '261124030637'), 'testdb.readings.0.abc.0.@.4.261124030637.json');
});
