// The rules of `set data distribution` (data-distribution.ts) as the publisher's routing reads them (route.ts).

/** Node settings key of the rules. */
export const DISTRIBUTION_SETTING = 'publisher.data-distribution';

export interface DistributionRule {
  dbms: string;
  table: string;
  dest: string[];
}

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
