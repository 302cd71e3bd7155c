// `cmd`, `send`, `kill`, `stop`: one request to a running node's control socket.
import { ControlClient } from '../../runtime/control/client.js';
import type { CliArgs } from './args.js';
import { controlSocket } from './args.js';

export async function runClientVerb(args: CliArgs): Promise<number> {
  const client = await ControlClient.connect(controlSocket(args));
  try {
    switch (args.verb) {
      case 'cmd': {
        const text = args.positional.join(' ');
        if (text.trim() === '') throw new Error('cmd needs an EdgeLake command, e.g. edgelake-rt cmd "get processes"');
        const r = await client.request({ op: 'cmd', text });
        if (!r.ok) {
          process.stderr.write(`${r.error.message}${r.error.code !== undefined ? ` (error ${r.error.code})` : ''}\n`);
          return 1;
        }
        if (r.text) process.stdout.write(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
        return 0;
      }
      case 'send': {
        const [actor, json] = args.positional;
        if (!actor || json === undefined)
          throw new Error(`send needs an actor and a JSON message, e.g. send scheduler '{"type":"scheduler.ids"}'`);
        let message: unknown;
        try {
          message = JSON.parse(json);
        } catch (err) {
          throw new Error(`the message is not JSON: ${(err as Error).message}`);
        }
        const r = await client.request({ op: 'send', actor, message, ask: true });
        if (!r.ok) {
          process.stderr.write(`${r.error.name}: ${r.error.message}\n`);
          return 1;
        }
        process.stdout.write(
          `${r.value === undefined ? 'ok' : typeof r.value === 'string' ? r.value : JSON.stringify(r.value, null, 2)}\n`,
        );
        return 0;
      }
      case 'kill': {
        const [actor] = args.positional;
        if (!actor) throw new Error('kill needs an actor id (see `get processes where format = json`)');
        const r = await client.request({ op: 'kill', actor });
        if (!r.ok) {
          process.stderr.write(`${r.error.message}\n`);
          return 1;
        }
        return 0;
      }
      case 'stop': {
        const r = await client.request({ op: 'stop' });
        return r.ok ? 0 : 1;
      }
      default:
        throw new Error(`not a client verb: ${args.verb}`);
    }
  } finally {
    client.close();
  }
}
