// Tokens of the `python <expr>` subset (see python-expr.ts for the grammar) and its error type.
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export type PyVal = string | number | boolean | null | PyVal[] | { int: bigint };

export class PyError extends CommandError {
  constructor(message: string) {
    super(`python: ${message}`, { code: Status.ProcessFailure });
  }
}

export interface Tok {
  k: 'str' | 'num' | 'name' | 'op';
  v: string;
}

export function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        s += src[j++];
      }
      if (j >= src.length) throw new PyError(`unterminated string in: ${src}`);
      out.push({ k: 'str', v: s });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d*)?/.exec(src.slice(i));
    if (num) {
      out.push({ k: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (name) {
      out.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(\/\/|==|!=|<=|>=|[-+*/%<>()[\]:,.])/.exec(src.slice(i));
    if (!op) throw new PyError(`unexpected '${c}' in: ${src}`);
    out.push({ k: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}
