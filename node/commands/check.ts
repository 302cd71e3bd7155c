// Static checks of commands and scripts: `edgelake-rt check script.al` reports every error with its
// line (and column where the parser knows it) without running anything. Values that are `!var` or
// `$ENV` references are not known before run time, so only their keys are checked.
// Errors are what the node refuses when it runs the line: unknown commands (also on the right of `x = ...` when
// the value starts with one of EdgeLake's command keys, in `do`/`else`/`then` bodies, in `schedule ... task` and
// in the `script` list of a config policy), bad options, bad conditions. Warnings are what only run time decides:
// a label that is missing (EdgeLake looks a label up only when it jumps, `exec_script`), an `if` without `then`
// whose `goto` EdgeLake reads as part of the condition. A body under a condition made of literals only that is
// false (`if error_code == 3 then ...`) never runs and is not checked. `process <file>` is followed into files
// named by a literal path that exist. A line the node refuses while `on error ignore` is in force is a warning:
// EdgeLake's `exec_script` then goes on past every error, unknown commands and bad structure included. Under
// `on error goto|call`, an unknown first word (Not_in_commands_dict, 141) jumps to the label and is a warning; a
// structure error (an unknown sub-command of a known word such as `set` or `file`, bad options, a bad condition)
// still ends the script there and stays an error. Which `on error` is in force is read in file order, as a script
// runs when it does not jump.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { CommandError, ConfigError, errorMessage } from '../../base/errors.js';
import { evaluate, parseCondition } from '../../protocols/command/condition.js';
import { startsWithCommandKey } from '../../protocols/command/edgelake-commands.js';
import { CommandSyntaxError, tokenize } from '../../protocols/command/lexer.js';
import { labelIndex, locate, splitScript, type ScriptLine } from '../../protocols/command/script.js';
import { parseWhere, type OptionPair } from '../../protocols/command/where.js';
import { splitIfLenient } from '../../protocols/command/interpreter.js';
import type { ServiceDescriptor } from '../service.js';
import { Dispatcher } from './dispatcher.js';
import { commandTable } from './builtin/index.js';

const CONTROL = new Set([
  'goto',
  'call',
  'return',
  'process',
  'thread',
  'wait',
  'on',
  'do',
  'else',
  'if',
  'end',
  'exit',
]);

const isRef = (s: string): boolean => /^[!$]/.test(s.trim());

/** Options for schema validation, leaving out values known only at run time. */
function literalOptions(pairs: OptionPair[]): { obj: Record<string, unknown>; refKeys: Set<string> } {
  const obj: Record<string, unknown> = {};
  const refKeys = new Set<string>();
  for (const p of pairs) {
    if (p.value.kind === 'group') {
      const inner = literalOptions(p.value.pairs);
      // A nested clause with run-time values is decided at run time as a whole.
      if (inner.refKeys.size > 0) {
        refKeys.add(p.key);
        continue;
      }
      const prev = obj[p.key];
      obj[p.key] = prev === undefined ? inner.obj : Array.isArray(prev) ? [...prev, inner.obj] : [prev, inner.obj];
      continue;
    }
    const toks = p.value.tokens;
    if (toks.some((t) => t.kind === 'word' && isRef(t.text))) {
      refKeys.add(p.key);
      continue;
    }
    const text = toks.map((t) => (t.kind === 'group' ? `(${t.text})` : t.text)).join(' ');
    const prev = obj[p.key];
    obj[p.key] = prev === undefined ? text : Array.isArray(prev) ? [...prev, text] : [prev, text];
  }
  return { obj, refKeys };
}

/** A problem at an offset of the command text; a warning does not fail the check. */
export interface Problem {
  message: string;
  pos: number;
  warning?: boolean;
  /**
   * An unknown first word (EdgeLake `Not_in_commands_dict`, 141): `on error goto|call` catches it. Every other
   * problem is a structure error (1, 2), which ends the script under those too (member_cmd.py `exec_script`).
   */
  catchable?: boolean;
}

const shift = (ps: Problem[], by: number): Problem[] => ps.map((p) => ({ ...p, pos: p.pos + by }));

export interface ScriptReport {
  errors: string[];
  warnings: string[];
}

export class CommandChecker {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly services: readonly ServiceDescriptor[]) {
    this.dispatcher = new Dispatcher(commandTable(services));
  }

  /** Problems of one command (offsets into `text`). Empty when it looks runnable. Warnings included. */
  check(text: string, labels?: Map<string, number>): Problem[] {
    try {
      return this.checkOrThrow(text, labels);
    } catch (err) {
      if (err instanceof CommandSyntaxError) return [{ message: err.message, pos: err.pos }];
      return [{ message: errorMessage(err), pos: 0 }];
    }
  }

  private missingLabel(label: string, labels: Map<string, number> | undefined, pos: number): Problem[] {
    if (!labels || labels.has(label)) return [];
    return [
      { message: `no label ':${label}:' in the script (EdgeLake fails only if it jumps there)`, pos, warning: true },
    ];
  }

  private checkOrThrow(text: string, labels: Map<string, number> | undefined): Problem[] {
    const tokens = tokenize(text);
    if (tokens.length === 0) return [];
    const first = tokens[0]!;
    const w = first.kind === 'word' ? first.text.toLowerCase() : '';
    const rest = (n: number): string => text.slice(tokens[n]?.pos ?? text.length);
    if (tokens[1]?.kind === 'op' && tokens[1].text === '=') {
      const after = text.slice(tokens[1].pos + 1);
      const rhs = after.trim();
      const off = tokens[1].pos + 1 + (after.length - after.trimStart().length);
      const valueWords: string[] = [];
      for (const t of tokens.slice(2)) {
        if (t.kind !== 'word') break;
        valueWords.push(t.text.toLowerCase());
      }
      // As the dispatcher: concatenation only when the value's second word is '+' (EdgeLake's process_cmd).
      const plus = tokens[3]?.kind === 'word' && tokens[3].text === '+';
      if (!plus && (this.dispatcher.isCommand(rhs) || (valueWords.length > 0 && startsWithCommandKey(valueWords))))
        return shift(this.check(rhs, labels), off);
      return this.checkPolicyScript(text, rhs, off);
    }
    if (CONTROL.has(w)) {
      if (w === 'goto' || w === 'call') return this.missingLabel(rest(1).trim(), labels, tokens[1]?.pos ?? 0);
      if (w === 'on') {
        const m = /^on\s+error\s+(ignore|end\s+script|(goto|call)\s+(\S+))$/i.exec(text.trim());
        if (!m) return [{ message: "expected 'on error ignore | goto <label> | call <label> | end script'", pos: 0 }];
        return m[3] ? this.missingLabel(m[3], labels, text.indexOf(m[3])) : [];
      }
      if (w === 'if') {
        const { cond, condPos, then, ignored } = splitIfLenient(text);
        const parsed = parseCondition(cond, condPos);
        const out: Problem[] = [];
        if (ignored !== undefined)
          out.push({
            message: `'if' without 'then': EdgeLake reads '${ignored}' as part of the condition and never runs it`,
            pos: condPos + cond.length,
            warning: true,
          });
        if (then) {
          // A condition of literals only is known now: a false one never runs its body.
          const literal = !tokenize(cond, { comparisons: true }).some((t) => t.kind === 'word' && /^[!$]/.test(t.text));
          if (literal && !evaluate(parsed, (x) => x)) return out;
          const off = text.lastIndexOf(then);
          out.push(...shift(this.check(then, labels), off));
        }
        return out;
      }
      if (w === 'do' || w === 'else') return shift(this.check(rest(1), labels), tokens[1]?.pos ?? 0);
      return [];
    }
    const spec = this.dispatcher.match(tokens);
    if (!spec) {
      if (w === 'set' && tokens[2]?.kind === 'op') return [];
      if (w === 'get' && tokens.length === 2 && tokens[1]!.kind === 'word' && /^[!$]/.test(tokens[1]!.text)) return [];
      return [
        {
          message: `unknown command "${text.split(/\s+/).slice(0, 3).join(' ')}"`,
          pos: first.pos,
          ...(this.dispatcher.isFamily(w) ? {} : { catchable: true }),
        },
      ];
    }
    if (spec.words[0] === 'schedule') {
      // The task is a command the scheduler runs later: the node refuses it then.
      const task = tokens.find((t) => t.kind === 'word' && t.text === 'task');
      if (!task) return [{ message: "Missing 'task' in schedule statement", pos: first.pos }];
      const after = text.slice(task.pos + 4);
      return shift(this.check(after.trim(), labels), task.pos + 4 + (after.length - after.trimStart().length));
    }
    if (spec.words.join(' ') === 'set policy') return this.checkPolicyScript(text, text, 0);
    if (spec.words[0] !== 'run') return [];
    const desc = this.services.find((s) => s.run.some((r) => r.join(' ') === spec.words.slice(1).join(' ')));
    if (!desc) return [];
    const after = tokens.slice(spec.words.length);
    const whereAt = after.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'where');
    if (whereAt < 0) return [];
    const pairs = parseWhere(after.slice(whereAt + 1));
    // The dispatcher refuses this too ('where' with no options).
    if (pairs.length === 0) return [{ message: `'where' with no options`, pos: after[whereAt]!.pos }];
    return this.checkOptions(desc, pairs);
  }

  /**
   * The `script` list of a config policy (`set policy p [config][script] = [...]` or `p = {"config": {...,
   * "script": [...]}}`): `config from policy` runs each entry, so each is checked as a command.
   */
  private checkPolicyScript(text: string, value: string, off: number): Problem[] {
    let list: unknown;
    const m = /\[script\]\s*=\s*(\[[\s\S]*\])\s*$/.exec(value);
    try {
      if (m) list = JSON.parse(m[1]!);
      else if (/^\s*\{\s*"config"/.test(value)) {
        const cfg = (JSON.parse(value) as { config?: { script?: unknown } }).config;
        list = cfg?.script;
      } else return [];
    } catch {
      return []; // not JSON (yet): `!var` values inside are known only at run time
    }
    if (!Array.isArray(list)) return [];
    const out: Problem[] = [];
    for (const entry of list) {
      if (typeof entry !== 'string') continue;
      const at = Math.max(0, text.indexOf(entry));
      for (const p of this.check(entry, undefined))
        out.push({ ...p, pos: off + at, message: `config policy script entry "${entry.slice(0, 60)}": ${p.message}` });
    }
    return out;
  }

  private checkOptions(desc: ServiceDescriptor, pairs: OptionPair[]): Problem[] {
    const { obj, refKeys } = literalOptions(pairs);
    try {
      desc.schema.parse(obj, `run ${desc.run[0]!.join(' ')}`);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError || err instanceof CommandError)) throw err;
      const out: Problem[] = [];
      for (const line of err.message.split('\n')) {
        const key = /\.([\w\-.]+?)(?:\[\d+\])?:/.exec(line)?.[1] ?? '';
        const top = key.split('.')[0]!;
        // A key whose value is `!var`/`$ENV` is decided at run time: whatever its schema (or a
        // cross-field check) says about it now, missing or not, is not an error yet.
        if (refKeys.has(top)) continue;
        const pair = pairs.find((p) => p.key === key || p.key === top);
        out.push({ message: line, pos: pair?.pos ?? 0 });
      }
      return out;
    }
  }

  /** Every error of a script, as `<file> line L[, column C]: message`. */
  checkScript(source: string, file: string): string[] {
    return this.checkScriptReport(source, file).errors;
  }

  /** Errors and warnings of a script and of the scripts it `process`es by a literal path that exists. */
  checkScriptReport(source: string, file: string, seen: Set<string> = new Set()): ScriptReport {
    seen.add(resolvePath(file));
    let lines: ScriptLine[];
    let labels: Map<string, number>;
    try {
      lines = splitScript(source);
      labels = labelIndex(lines, file);
    } catch (err) {
      return { errors: [`${file}: ${errorMessage(err)}`], warnings: [] };
    }
    const report: ScriptReport = { errors: [], warnings: [] };
    let onError = 'none';
    for (const sl of lines) {
      if (sl.label !== undefined) continue;
      const set = /^on\s+error\s+(ignore|goto|call|end)\b/i.exec(sl.text.trim());
      if (set) onError = set[1]!.toLowerCase();
      for (const p of this.check(sl.text, labels)) {
        const at = locate(sl, p.pos, file);
        const where = `${file} line ${at.line}, column ${at.col}: ${p.message}`;
        if (p.warning) report.warnings.push(where);
        else if (onError === 'ignore')
          report.warnings.push(`${where} (skipped under 'on error ignore': the script goes on)`);
        else if (p.catchable && (onError === 'goto' || onError === 'call'))
          report.warnings.push(`${where} (caught by 'on error ${onError}': the script jumps to its label)`);
        else report.errors.push(where);
      }
      const inc = /^(?:(?:do|else)\s+)?process\s+(\S+)\s*$/i.exec(sl.text.trim());
      if (inc && !/[!$]/.test(inc[1]!)) {
        const path = isAbsolute(inc[1]!) ? inc[1]! : resolvePath(dirname(file), inc[1]!);
        if (existsSync(path) && !seen.has(resolvePath(path))) {
          const sub = this.checkScriptReport(readFileSync(path, 'utf8'), path, seen);
          report.errors.push(...sub.errors);
          report.warnings.push(...sub.warnings);
        }
      }
    }
    return report;
  }
}
