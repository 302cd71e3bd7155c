// `edgelake-rt check node.yaml|script.al`: validates without starting anything and prints every
// error with where it is (YAML path and line, or script line and column). Exit status 1 on errors.
import { readFileSync } from 'node:fs';
import { SERVICES } from '../../actors/index.js';
import { CommandChecker } from '../../node/commands/check.js';
import { NodeConfigError, parseNodeConfig, type NodeConfig } from '../../node/config/node-config.js';
import type { CliArgs } from './args.js';

export function checkFile(file: string, warnings: string[] = []): string[] {
  const text = readFileSync(file, 'utf8');
  const checker = new CommandChecker(SERVICES);
  if (/\.al$/i.test(file)) {
    const r = checker.checkScriptReport(text, file);
    warnings.push(...r.warnings);
    return r.errors;
  }
  const checkCommands = (commands: NodeConfig['commands']): string[] =>
    commands.flatMap((c) =>
      checker
        .check(c.text)
        .map(
          (p) => `${file}${c.line !== undefined ? `:${c.line}` : ''}: ${c.path} (column ${p.pos + 1}): ${p.message}`,
        ),
    );
  try {
    return checkCommands(parseNodeConfig(text, file, SERVICES, { lines: true }).commands);
  } catch (err) {
    // Configuration errors do not hide the problems of the commands: every error is reported at once.
    if (err instanceof NodeConfigError) return [...err.problems, ...checkCommands(err.commands)];
    throw err;
  }
}

export function runCheck(args: CliArgs): number {
  const [file] = args.positional;
  if (!file) throw new Error('check needs a file: node.yaml or script.al');
  const warnings: string[] = [];
  const problems = checkFile(file, warnings);
  // Warnings are what only run time decides (a missing label, a `goto` EdgeLake never runs): printed, not failed.
  for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
  if (problems.length === 0) {
    process.stdout.write(`${file}: OK\n`);
    return 0;
  }
  for (const p of problems) process.stdout.write(`${p}\n`);
  process.stdout.write(`${problems.length} error${problems.length > 1 ? 's' : ''}\n`);
  return 1;
}
