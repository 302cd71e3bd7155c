// The rules of `set data distribution` (data-distribution.ts) as the publisher's routing reads them (route.ts).

import { defineSetting } from '../../node/settings.js';

export interface DistributionRule {
  dbms: string;
  table: string;
  dest: string[];
}

/** The rules, kept on the node: `set data distribution` writes them, every publisher scan reads them. */
export const DISTRIBUTION_SETTING = defineSetting<DistributionRule[]>('publisher.data-distribution');

const lower = (s: string): string => s.toLowerCase();

/** The rule for `dbms.table`: exact, then the dbms with `*`, then `*`. */
export function ruleFor(
  rules: readonly DistributionRule[] | undefined,
  dbms: string,
  table: string,
): DistributionRule | undefined {
  if (!rules) return undefined;
  const d = lower(dbms);
  const t = lower(table);
  return (
    rules.find((r) => r.dbms === d && r.table === t) ??
    rules.find((r) => r.dbms === d && r.table === '*') ??
    rules.find((r) => r.dbms === '*')
  );
}
