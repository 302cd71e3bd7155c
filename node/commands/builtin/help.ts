// `help [command words]`: the usage lines of the command table.
import type { CommandSpec } from '../../service.js';

export function helpCommand(table: () => readonly CommandSpec[]): CommandSpec {
  return {
    words: ['help'],
    method: 'get',
    usage: 'help [command]',
    run(inv) {
      const prefix = inv.args.map((t) => t.text.toLowerCase());
      const lines = table()
        .filter((s) => prefix.every((w, i) => s.words[i] === w))
        .map((s) => s.usage)
        .sort();
      return lines.length > 0 ? lines.join('\r\n') : `No help for '${prefix.join(' ')}'`;
    },
  };
}
