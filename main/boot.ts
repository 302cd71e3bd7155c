// Boots a node from node.yaml, an EdgeLake script (.al) or defaults: the supervisor, the control
// socket, the services of node.yaml in file order, then its `commands` (or the script), as EdgeLake's
// start script would. Nothing else starts: a service not asked for costs no worker (the scheduler,
// with EdgeLake's system scheduler 0, starts at the first `run scheduler` or `schedule`).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SERVICES } from '../actors/index.js';
import { ControlServer } from '../runtime/control/server.js';
import { parseNodeConfig, type NodeConfig } from '../node/config/node-config.js';
import { CommandError, errorMessage } from '../base/errors.js';
import { createLogger, levelFromEnv, streamSink, type LogSink } from '../base/log.js';
import { EdgeNode } from '../node/node.js';
import { connectDbms } from '../node/commands/builtin/dbms.js';
import { createWorkDirectories, socketPath } from '../node/layout.js';
import type { ServiceDescriptor } from '../node/service.js';
import { actorAddress } from '../runtime/address.js';
import type { ActorMessage } from '../runtime/wire.js';

export interface BootOptions {
  /** node.yaml, a script (.al), or nothing for defaults. */
  file?: string;
  /** Overrides node.root. */
  root?: string;
  logSink?: LogSink;
  output?: (text: string) => void;
  services?: readonly ServiceDescriptor[];
  /** Tests: run actors on a manual clock. */
  actorClock?: { kind: 'manual'; start: number };
  onStop?: (reason: string, exitCode: number) => void;
}

export interface RunningNode {
  node: EdgeNode;
  control: ControlServer;
  config: NodeConfig;
  stop(reason?: string): Promise<void>;
}

function defaultConfig(): NodeConfig {
  return {
    name: 'edgelake-rt',
    root: undefined,
    ip: '127.0.0.1',
    logLevel: levelFromEnv(),
    dbms: {},
    services: [],
    supervisor: { strategy: 'one_for_one', intensity: 5, period: 10, restart: {}, startupError: {} },
    commands: [],
  };
}

export async function bootNode(opts: BootOptions): Promise<RunningNode> {
  const services = opts.services ?? SERVICES;
  const file = opts.file ? resolve(opts.file) : undefined;
  const isScript = file !== undefined && /\.al$/i.test(file);
  const config =
    file && !isScript ? parseNodeConfig(readFileSync(file, 'utf8'), opts.file!, services) : defaultConfig();
  const root = resolve(opts.root ?? config.root ?? process.env['EDGELAKE_RT_ROOT'] ?? 'edgelake-data');
  const logSink = opts.logSink ?? streamSink();
  let stopping: Promise<void> | undefined;
  const node = new EdgeNode({
    name: config.name,
    root,
    ip: config.ip,
    services,
    supervisor: config.supervisor,
    restart: config.supervisor.restart,
    startupError: config.supervisor.startupError,
    logSink,
    logLevel: config.logLevel,
    output: opts.output ?? ((t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`)),
    ...(opts.actorClock ? { actorClock: opts.actorClock } : {}),
    onStop: (reason, code) => {
      stop(reason).then(
        () => opts.onStop?.(reason, code),
        (err: unknown) => {
          log.error('node stop failed', { reason, error: errorMessage(err) });
          opts.onStop?.(reason, code === 0 ? 1 : code);
        },
      );
    },
  });
  const log = createLogger('boot', logSink, config.logLevel);
  const control = new ControlServer(
    socketPath(root),
    {
      command: (text) => node.command(text, { source: 'control' }),
      // The control socket takes any actor id and message (a tool for operators and tests): untyped on purpose.
      send: (actor, msg, ask, timeoutMs) => {
        const to = actorAddress<ActorMessage>(actor);
        if (ask) return node.ask(to, msg, timeoutMs);
        if (!node.send(to, msg)) throw new CommandError(`${actor}: not running or mailbox full`, { retriable: true });
        return Promise.resolve(undefined);
      },
      kill: (actor) => node.kill(actor),
      stop: () => node.requestStop('stop requested on the control socket'),
    },
    log.child('control'),
  );
  const stop = (reason = 'shutdown'): Promise<void> => {
    stopping ??= (async () => {
      log.info('node stopping', { reason });
      await node.stop(reason);
      await control.close();
    })();
    return stopping;
  };

  // The databases first: a database another process holds locked is waited for here (storage/dbms
  // sqlite.ts `open`), and a start that fails fails before any port, socket or worker is up, never
  // after half-starting.
  createWorkDirectories(root);
  try {
    for (const [name, d] of Object.entries(config.dbms)) {
      const raw: Record<string, unknown> = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
      await connectDbms(node, name, raw);
    }
  } catch (err) {
    await node.dbms.closeAll();
    throw err;
  }
  await node.start();
  await control.listen();
  log.info('node started', { name: config.name, root, socket: socketPath(root) });
  try {
    for (const s of config.services) {
      // A service that cannot start does not stop the node nor the services after it (issue 12): its startup
      // policy (`supervisor.startup_error`) has had its retries; the error is logged with the reason.
      try {
        await node.startService(s.desc, s.options, { source: `node.yaml ${s.path}` });
      } catch (err) {
        log.error('service failed to start; the node goes on without it', {
          service: s.desc.process,
          path: s.path,
          error: errorMessage(err),
        });
      }
    }
    for (const c of config.commands) {
      try {
        await node.command(c.text, { source: `node.yaml ${c.path}` });
      } catch (err) {
        throw new CommandError(`node.yaml ${c.path} (${c.text}): ${errorMessage(err)}`, { cause: err });
      }
    }
  } catch (err) {
    await stop('start failed');
    throw err;
  }
  if (isScript) {
    // A script that ends on an error ends there; the node keeps running with what the script started, as
    // EdgeLake's node does after `process` fails (member_cmd.py `exec_script` returns the error to the CLI).
    try {
      await node.interpreter.processFile(file!, { source: 'script' });
    } catch (err) {
      const text = `${errorMessage(err)}`;
      log.error('start script ended with an error; the node keeps running', { file, error: text });
      (opts.output ?? ((t: string) => process.stdout.write(`${t}\n`)))(text);
    }
  }
  return { node, control, config, stop };
}
