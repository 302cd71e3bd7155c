// `edgelake-rt console`: an interactive prompt on a running node, like EdgeLake's CLI.
// Lines starting with `<` continue until a line ending with `>` (EdgeLake's multi-line commands).
import { createInterface } from 'node:readline';
import { ControlClient } from '../../runtime/control/client.js';
import type { CliArgs } from './args.js';
import { controlSocket } from './args.js';

export async function runConsole(args: CliArgs): Promise<number> {
  const client = await ControlClient.connect(controlSocket(args));
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const prompt = (): void => {
    rl.setPrompt('EL edgelake-rt > ');
    rl.prompt();
  };
  let pending: string | undefined;
  prompt();
  for await (const line of rl) {
    let text = line.trim();
    if (pending !== undefined) {
      pending += ' ' + text;
      if (!text.endsWith('>')) continue;
      text = pending.slice(1, -1);
      pending = undefined;
    } else if (text.startsWith('<') && !text.endsWith('>')) {
      pending = text;
      continue;
    } else if (text.startsWith('<')) text = text.slice(1, -1);
    if (text === 'exit' || text === 'quit') break;
    if (text !== '' && !text.startsWith('#')) {
      const r = await client.request({ op: 'cmd', text });
      if (r.ok) {
        if (r.text) process.stdout.write(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
      } else
        process.stdout.write(`Error: ${r.error.message}${r.error.code !== undefined ? ` (${r.error.code})` : ''}\n`);
    }
    prompt();
  }
  rl.close();
  client.close();
  return 0;
}
