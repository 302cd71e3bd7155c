// Every JSON key a client may send reaches its column on SQLite. SQLite's JSON path cannot name a key holding `"`
// (a quoted label ends at the first `"`, escaped or not: the value read back NULL, silently) and a NUL in the
// statement text ends the statement (the batch failed as a syntax error and went to the error directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAdapter } from '../../storage/dbms/sqlite.js';

const KEYS = ['plain', 'q"x', '"', 'b\u0000c', 'back\\slash"', "it's", 'a.b[0]$'];

for (const asBytes of [false, true]) {
  test(`keys with quotes, NUL and path characters read back their values (rows as ${asBytes ? 'bytes' : 'text'})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'elrt-keys-'));
    const db = new SqliteAdapter('t', join(dir, 't.dbms'));
    t.after(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const cols = KEYS.map((k, i) => ({ name: `c${i}`, keys: [k], type: 'varchar', notNull: false }));
    await db.execDDL([
      `CREATE TABLE r (insert_timestamp text, tsd_name text, tsd_id int, ${cols.map((c) => `${c.name} text`).join(', ')})`,
    ]);
    const rows = [Object.fromEntries(KEYS.map((k, i) => [k, `v${i}`])), { plain: 'only' }];
    const text = JSON.stringify(rows);
    const n = await db.write(
      [
        {
          table: 'r',
          columns: cols,
          rowsJson: asBytes ? Buffer.from(text) : text,
          rowCount: 2,
          insertTimestamp: 'x',
          tsdName: '0',
          tsdId: 0,
        },
      ],
      [],
      [],
    );
    assert.equal(n, 2);
    const back = await db.select(`select ${cols.map((c) => c.name).join(', ')} from r order by rowid`);
    assert.deepEqual(back.rows, [KEYS.map((_, i) => `v${i}`), ['only', ...KEYS.slice(1).map(() => null)]]);
  });
}
