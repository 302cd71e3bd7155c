// Why a batch failed, and so what the operator does with it (apply.ts):
//   transient  the database cannot take rows *now* (locked, down, out of space, connection lost):
//              the batch stays pending in the journal and is retried with backoff until it lands;
//              the table's journal position does not move past it
//   permanent  the rows themselves are the problem (SQL error class, a value the engine refuses, a
//              row nested too deep for the engine or for JavaScript, a reserved table): after a
//              bounded number of attempts the entry goes to the error directory with a reason file,
//              and the table's later rows go on
//   refused    the operator may not take rows for this table at all (EdgeLake 171/174, a reserved
//              name): straight to the error directory, no retries
// SQLite codes: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR*, SQLITE_FULL are transient, every other
// SQLite code is permanent. PostgreSQL: by SQLSTATE class (Appendix A of its manual): 08 connection,
// 40001 serialization, 40P01 deadlock, 53 insufficient resources, 57P operator intervention (admin
// shutdown, pg_terminate_backend), 55P03 lock not available, 58 system error are transient; 22 data,
// 23 integrity, 42 syntax/name and the rest are permanent. A socket error or a connection the server
// closed (no SQLSTATE) is transient. Anything else (a JavaScript RangeError: stack overflow) is permanent.
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export type FailureKind = 'transient' | 'permanent' | 'refused';

const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL)/;
const PG_TRANSIENT = /^(08...|40001|40P01|53...|57P..|55P03|58...)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const NET_ERRNO = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
/** pg's own messages for a connection that went away (no SQLSTATE: the server never answered). */
const PG_LOST =
  /Connection terminated|connection (was )?(closed|lost)|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

function* chain(err: unknown): Generator<unknown> {
  let e = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    yield e;
    e = e instanceof Error ? e.cause : undefined;
  }
}

export function classifyFailure(err: unknown): FailureKind {
  for (const e of chain(err)) {
    if (
      e instanceof DbmsError &&
      (e.code === Status.OperatorNotAllowedWithTable || e.code === Status.NoClusterAssigned)
    )
      return 'refused';
    // The dbms is not connected (yet): rows wait in the journal for `connect dbms`.
    if (e instanceof DbmsError && e.code === Status.DbmsNotOpened) return 'transient';
    const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '';
    if (code.startsWith('SQLITE_')) return SQLITE_TRANSIENT.test(code) ? 'transient' : 'permanent';
    if (SQLSTATE.test(code)) return PG_TRANSIENT.test(code) ? 'transient' : 'permanent';
    if (NET_ERRNO.test(code)) return 'transient';
    if (e instanceof Error && !(e instanceof DbmsError) && PG_LOST.test(e.message)) return 'transient';
  }
  return 'permanent';
}
