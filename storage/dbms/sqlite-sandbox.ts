// The `sql` command's sandbox on SQLite, checked on the program the engine compiled, not on the text: the query is
// prepared, `EXPLAIN` lists its bytecode, and the statement runs only when
//   - every function it calls (opcodes Function, PureFunc, Agg*: p4 is `name(nargs)`, resolved by SQLite's own
//     parser whatever the spelling, quoting or comments) is in FUNCTIONS below, and
//   - it opens no virtual table (VOpen): the table-valued functions libsql builds in (`fsdir`, `sqlite_dbpage`,
//     `pragma_*`, `json_each`...) are virtual tables.
// libsql's build has the SQLite shell's file functions (`readfile`, `writefile`, `fsdir`, `lsmode`), extension
// loading (`load_extension`) and more; none is in the list. libsql-js 0.5.29's authorizer (`db.authorizer`) takes
// table names only and refuses every function call, so it cannot serve as the allow-list; the program check does.
// Writes are refused by the engine too: query connections run with `PRAGMA query_only`.
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

/**
 * SQLite's core scalar, aggregate, window, date and JSON functions, and the math and statistics functions libsql
 * adds (EdgeLake's queries use min/max/avg/count/sum and the date functions). Left out on purpose: file access
 * (readfile, writefile, lsmode), load_extension, fts3_tokenizer (pointer argument), sqlite3mc_* (encryption keys),
 * sqlite_log, sqlite_compileoption_*, randomblob and zeroblob (memory), libsql_vector_idx and changes-counters.
 */
const FUNCTIONS = new Set(
  (
    '-> ->> abs avg char coalesce concat concat_ws count cume_dist current_date current_time current_timestamp date ' +
    'datetime dense_rank first_value format glob group_concat hex ifnull iif instr json json_array ' +
    'json_array_length json_error_position json_extract json_group_array json_group_object json_insert json_object ' +
    'json_patch json_quote json_remove json_replace json_set json_type json_valid jsonb jsonb_array jsonb_extract ' +
    'jsonb_group_array jsonb_group_object jsonb_insert jsonb_object jsonb_patch jsonb_remove jsonb_replace jsonb_set ' +
    'julianday lag last_value lead length like likelihood likely lower ltrim max min nth_value ntile nullif ' +
    'octet_length percent_rank printf quote random rank replace round row_number rtrim sign soundex sqlite_version ' +
    'strftime string_agg substr substring sum time timediff total trim typeof unhex unicode unixepoch unlikely ' +
    'upper ' +
    // math (SQLITE_ENABLE_MATH_FUNCTIONS and libsql's extension functions)
    'acos acosh asin asinh atan atan2 atanh atn2 ceil ceiling cos cosh cot coth degrees exp floor ln log log10 pi ' +
    'power radians sin sinh sqrt square tan tanh ' +
    // statistics and text (libsql's extension functions)
    'median mode stdev variance lower_quartile upper_quartile charindex difference leftstr rightstr padl padr padc ' +
    'proper replicate reverse strfilter regexp regexpi'
  ).split(' '),
);

const FUNCTION_OPS = new Set(['Function', 'PureFunc', 'AggStep', 'AggStep1', 'AggFinal', 'AggValue', 'AggInverse']);

/** The name in a function opcode's p4 (`count(0)`, `readfile(1)`, `->>(2)`). */
function functionName(p4: string): string {
  const paren = p4.lastIndexOf('(');
  return (paren > 0 ? p4.slice(0, paren) : p4).toLowerCase();
}

/** EXPLAIN's columns: addr, opcode, p1, p2, p3, p4, p5, comment. */
export type ExplainRow = readonly unknown[];

/** Throws a DbmsError naming the first function or virtual table the sandbox refuses. */
export function checkProgram(program: readonly ExplainRow[]): void {
  for (const row of program) {
    const op = String(row[1]);
    if (op === 'VOpen')
      throw new DbmsError('sql: table-valued functions and virtual tables are not allowed in queries', {
        code: Status.SqlNotSupported,
      });
    if (FUNCTION_OPS.has(op)) {
      const name = functionName(String(row[5] ?? ''));
      if (!FUNCTIONS.has(name))
        throw new DbmsError(`sql: function '${name}' is not allowed in queries`, { code: Status.SqlNotSupported });
    }
  }
}

/** The internal name of the materialized query (no user table can be named so: `_edgelake_rt_` is reserved). */
const MATERIALIZED = '_edgelake_rt_query';

/**
 * The query with all of its work moved into the first step: SQLite fills the materialized CTE before it returns
 * the first row. libsql-js runs a statement's first step off the JS thread (`statementRowsAsync`) and the later
 * steps on it; after this rewrite the later steps only read the finished result, so `db.interrupt()` from a timer
 * can stop any query, and nothing blocks the worker's thread for long. Rows keep the query's order.
 */
export function materialized(query: string): string {
  return `WITH ${MATERIALIZED} AS MATERIALIZED (\n${query}\n) SELECT * FROM ${MATERIALIZED}`;
}
