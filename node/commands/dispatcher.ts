// The command dispatcher: one per node, shared by the control socket, REST, TCP peers, scripts and
// the scheduler. It handles EdgeLake's assignment forms itself and hands everything else to the
// command table entry whose words match the longest prefix of the command.
//   name = value                 store the words (quotes dropped); `!x`/`$X` alone copies/resolves
//   name = <command>             store the command's reply when the value starts with a command or with
//                                one of EdgeLake's command keys (`get ...`, `python ...`): an unknown one is
//                                an error and leaves `name` unset, never stores the text (`process_cmd`)
//   get !name | get $NAME         the value (member_cmd.py `_exec_child_dict`)
//   name = !a + "-" + !b         concatenation
//   set name = value             store, resolving `!`/`$` words
//   set $NAME = value            set an environment variable
import { CommandError, errorMessage } from '../../base/errors.js';
import { maskSecrets } from '../../base/mask.js';
import { mirrorLedger, policyIds } from './builtin/tables.js';
import { CommandSyntaxError, tokenize, type Token } from '../../protocols/command/lexer.js';
import { parseWhere } from '../../protocols/command/where.js';
import { splitIf, WrongMethodError, type RunEnv } from '../../protocols/command/interpreter.js';
import type { CommandSpec, Invocation, NodeApi } from '../service.js';
import { Status } from '../../base/status.js';
import { startsWithCommandKey } from '../../protocols/command/edgelake-commands.js';

export interface DispatchEnv extends RunEnv {
  /** Set for a command from a TCP peer: the address its message header gives for answers (EdgeLake's events use it). */
  peer?: { ip: string; port: number };
  /** Who sent it from outside: a REST client or a TCP peer; undefined for the node's owner (control socket, scripts). */
  via?: 'rest' | 'peer';
  /** The REST user that authenticated the request, when user authentication is on. */
  user?: { name: string; type: 'admin' | 'user' };
  /** Node authentication on: the key that signed the peer's message; every command it leads to is checked. */
  signer?: string;
  /**
   * How long the sender waits for the answer (the REST server's timeout). A query is interrupted two seconds before,
   * so the client gets the query's timeout (error 26) rather than a 500 of the REST server's own, and the query
   * worker is free when the client is answered.
   */
  answerWithinMs?: number;
}

const words = (tokens: Token[]): string[] => tokens.map((t) => (t.kind === 'word' ? t.text.toLowerCase() : `\u0000`));

export class Dispatcher {
  private readonly table: CommandSpec[];
  private readonly families: Set<string>;
  /**
   * The table's specs by first word, each list in the table's order (longest first): `match` looks only at the
   * specs a command could be, instead of every spec for every command (about 1 in 20 of them for `get`, the
   * largest family; issue 14 found the scan in every `run client` profile).
   */
  private readonly byFirst = new Map<string, CommandSpec[]>();

  constructor(specs: readonly CommandSpec[]) {
    this.table = [...specs].sort((a, b) => b.words.length - a.words.length);
    this.families = new Set(specs.map((s) => s.words[0]!));
    for (const s of this.table) {
      const list = this.byFirst.get(s.words[0]!);
      if (list) list.push(s);
      else this.byFirst.set(s.words[0]!, [s]);
    }
  }

  specs(): readonly CommandSpec[] {
    return this.table;
  }

  /** The table entry for these tokens, or undefined. */
  match(tokens: Token[]): CommandSpec | undefined {
    const first = tokens[0];
    if (first?.kind !== 'word') return undefined;
    const candidates = this.byFirst.get(first.text.toLowerCase());
    if (!candidates) return undefined;
    const ws = words(tokens);
    return candidates.find(
      (s) => s.words.length <= ws.length && s.words.every((w, i) => ws[i] === w) && (s.minWords ?? 0) <= ws.length,
    );
  }

  /** Does this text start with a known command (as opposed to a plain value)? */
  /** Is the word the first word of some command (`set`, `file`...)? Then a text no spec matches is a structure error. */
  isFamily(word: string): boolean {
    return this.families.has(word.toLowerCase());
  }

  isCommand(text: string): boolean {
    try {
      const toks = tokenize(text);
      return this.match(toks) !== undefined || (toks[0]?.kind === 'word' && toks[0].text.toLowerCase() === 'if');
    } catch (err) {
      if (err instanceof CommandSyntaxError) return false;
      throw err;
    }
  }

  /**
   * Throws WrongMethodError when `text` may not be sent by that REST verb (used for the command a `destination`
   * header sends to peers, which is not run here). Unknown commands pass: the peer answers them.
   */
  checkMethod(text: string, method: 'GET' | 'POST'): void {
    if (method === 'GET') this.checkGet(text);
    const tokens = tokenize(text);
    const spec = this.match(tokens);
    // As `run` gates them: `set name = value` is POST only.
    if (!spec) {
      const first = tokens[0];
      const isSet = first?.kind === 'word' && first.text.toLowerCase() === 'set';
      if (method === 'GET' && isSet) throw new WrongMethodError();
      return;
    }
    if ((method === 'GET' && spec.method === 'post') || (method === 'POST' && spec.method === 'get'))
      throw new WrongMethodError();
  }

  /**
   * A GET never changes state (EdgeLake http_server.py gates its commands by verb): besides the commands marked
   * `post`, it refuses the forms the interpreter handles itself: assignments (`x = 1`, `$VAR = y`), `set`, `process`
   * and `thread` (they run scripts), and an `if ... then <command>` whose command is refused, a `do` or `else` body
   * included (`if c then do process f`), and a body whose command is `post` (`if c then exit node`). The interpreter
   * and the dispatcher refuse the same again where they run them locally; for the command a `destination` header
   * sends to peers (which run it with no method), this check is the only gate.
   */
  private checkGet(text: string): void {
    const first = text.trimStart().split(/\s+/, 1)[0]!.toLowerCase();
    if (first === 'process' || first === 'thread' || first === 'set') throw new WrongMethodError();
    // A `do`, `else` or `then` body is a command like any other: the whole check (its spec's method too).
    if (first === 'do' || first === 'else') {
      const body = text.trimStart().slice(first.length);
      if (body.trim() !== '') this.checkMethod(body, 'GET');
      return;
    }
    if (first === 'if') {
      const { then } = splitIf(text);
      if (then !== undefined && then.trim() !== '') this.checkMethod(then, 'GET');
      return;
    }
    const tokens = tokenize(text);
    if (tokens[1]?.kind === 'op' && tokens[1].text === '=') throw new WrongMethodError();
  }

  async run(text: string, env: DispatchEnv, node: NodeApi): Promise<string> {
    const tokens = tokenize(text);
    if (tokens.length === 0) return '';
    const first = tokens[0]!;
    // name = value | name = <command>
    if (tokens[1]?.kind === 'op' && tokens[1].text === '=' && (first.kind === 'word' || first.kind === 'string')) {
      if (env.method === 'GET') throw new WrongMethodError();
      return this.assign(first.text, text.slice(tokens[1].pos + 1).trim(), tokens.slice(2), env, node);
    }
    const spec = this.match(tokens);
    if (!spec) {
      // set name = value (only when no `set ...` command matched)
      if (
        first.kind === 'word' &&
        first.text.toLowerCase() === 'set' &&
        tokens[2]?.kind === 'op' &&
        tokens[2].text === '='
      ) {
        if (env.method === 'GET') throw new WrongMethodError();
        const name = tokens[1]!.text;
        const value = tokens
          .slice(3)
          .map((t) => (t.kind === 'word' ? node.resolve(t.text) : t.text))
          .join(' ');
        if (name.startsWith('$')) node.dict.setEnv(name.slice(1), value);
        else node.dict.set(name, value);
        return '';
      }
      const w = first.kind === 'word' ? first.text.toLowerCase() : '';
      // get !name: the value (EdgeLake `_exec_child_dict`, when no `get` sub-command matches).
      if (w === 'get' && tokens.length === 2 && tokens[1]!.kind === 'word' && /^[!$]./.test(tokens[1]!.text))
        return node.resolve(tokens[1]!.text);
      if (this.families.has(w))
        throw new CommandError(`Error Command Structure: unknown '${w}' command: ${maskSecrets(text.slice(0, 120))}`, {
          code: Status.CommandStructure,
        });
      throw new CommandError(`Unrecognized Command: '${first.text}'`, { code: Status.NotInCommandsDict });
    }
    if (env.method === 'GET' && spec.method === 'post') throw new WrongMethodError();
    if (env.method === 'POST' && spec.method === 'get') throw new WrongMethodError();
    const rest = tokens.slice(spec.words.length);
    const whereAt = spec.rawWhere ? -1 : rest.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'where');
    const inv: Invocation = {
      text,
      tokens,
      args: whereAt < 0 ? rest : rest.slice(0, whereAt),
      where: whereAt < 0 ? undefined : parseWhere(rest.slice(whereAt + 1)),
      env,
    };
    if (inv.where && inv.where.length === 0)
      throw new CommandSyntaxError(`'where' with no options`, rest[whereAt]!.pos);
    // A master that keeps its ledger in dbms `blockchain` (EdgeLake's `create table ledger`) updates the table too:
    // rows for the policies added, and deletions for the ones this command dropped (only those: a row another
    // writer put in a shared table stays).
    const mirror = spec.words[0] === 'blockchain' && spec.method === 'post' && node.dbms.has('blockchain');
    const before = mirror && node.metadata ? policyIds(node) : undefined;
    const reply = await spec.run(inv, node);
    if (before) {
      const after = policyIds(node);
      await mirrorLedger(node, new Set([...before].filter((id) => !after.has(id)))).catch((err: unknown) =>
        node.log.warn('ledger table not updated (the ledger file is)', { error: errorMessage(err) }),
      );
    }
    return reply;
  }

  /** Does the value start with one of EdgeLake's command keys (its leading plain words)? */
  private startsWithKey(value: Token[]): boolean {
    const ws: string[] = [];
    for (const t of value) {
      if (t.kind !== 'word') break;
      ws.push(t.text.toLowerCase());
    }
    return ws.length > 0 && startsWithCommandKey(ws);
  }

  private async assign(name: string, rhs: string, value: Token[], env: DispatchEnv, node: NodeApi): Promise<string> {
    if (value.length === 0) {
      node.dict.delete(name);
      return '';
    }
    let result: string;
    // EdgeLake's `process_cmd` reads `x = a + b` as concatenation only when the value's second word is `+`;
    // otherwise the value is a command when it starts with one (`n = python int(!a) + int(!b)` runs python).
    const concatenation = value[1]?.kind === 'word' && value[1].text === '+';
    if (!concatenation && (this.isCommand(rhs) || this.startsWithKey(value))) {
      // EdgeLake removes the old value first (`params.reset_key`): a command that fails leaves the name unset, and
      // `x = <command using !x>` sees x unset, as EdgeLake's does.
      if (name.startsWith('$')) node.dict.setEnv(name.slice(1), '');
      else node.dict.delete(name);
      result = await node.command(rhs, env);
    } else if (value.some((t) => t.kind === 'word' && t.text === '+')) {
      // Concatenation: operands between `+` signs, quotes dropped, references resolved.
      const parts: string[] = [];
      let expectOperand = true;
      for (const t of value) {
        if (t.kind === 'word' && t.text === '+') {
          if (expectOperand) throw new CommandSyntaxError(`'+' without a value before it`, t.pos);
          expectOperand = true;
          continue;
        }
        if (!expectOperand) throw new CommandSyntaxError(`missing '+' before '${t.text}'`, t.pos);
        parts.push(t.kind === 'word' ? node.resolve(t.text) : t.text);
        expectOperand = false;
      }
      if (expectOperand) throw new CommandSyntaxError(`'+' at the end of the value`, value[value.length - 1]!.pos);
      result = parts.join('');
    } else if (value.length === 1 && value[0]!.kind === 'word' && /^[!$]/.test(value[0]!.text)) {
      result = node.resolve(value[0]!.text);
    } else if (value.length === 1 && value[0]!.kind === 'json') {
      result = value[0]!.text;
    } else {
      result = value.map((t) => (t.kind === 'group' ? `(${t.text})` : t.text)).join(' ');
    }
    if (name.startsWith('$')) node.dict.setEnv(name.slice(1), result);
    else node.dict.set(name, result);
    return '';
  }
}
