// The operator's apply context for tests that drive its passes and file groups in the test's own thread (no
// worker): a real catalog and journal, the operator's own stats, trims and retry book, defaults elsewhere.
import type { Logger } from '../base/log.js';
import type { Journal } from '../storage/journal/journal.js';
import type { ApplyContext } from '../actors/operator/apply.js';
import type { Catalog } from '../actors/operator/catalog.js';
import { OperatorStats } from '../actors/operator/stats.js';
import { TrimQueue } from '../actors/operator/trim.js';
import { RetryBook } from '../actors/operator/retry.js';

export function testApplyContext(
  deps: { catalog: Catalog; journal: Journal; log: Logger; errDir: string },
  overrides: Partial<ApplyContext> = {},
): ApplyContext {
  return {
    catalog: deps.catalog,
    journal: deps.journal,
    stats: new OperatorStats(),
    trims: new TrimQueue(deps.journal, deps.log),
    log: deps.log,
    errDir: deps.errDir,
    createTable: true,
    tsd: false,
    member: '0',
    limitTables: undefined,
    seen: new Map(),
    retries: new RetryBook(),
    tsdInfo: undefined,
    distribute: undefined,
    memberId: 0,
    nextRowId: () => '1',
    ...overrides,
  };
}
