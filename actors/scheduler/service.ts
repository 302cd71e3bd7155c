// The Scheduler service on the main thread: its commands and how `get processes` shows it.
//   run scheduler [id]                 id 1 (user) by default, 0 = system, > 10 refused
//   schedule time = <n> <unit> [and name = ..] [and scheduler = id] [and start = +1d] task <command>
//   task stop|resume|remove|init|run where [scheduler = 1 and] name = .. | id = ..
//   get scheduler [id]
//   exit scheduler [id]                without id every scheduler stops (and the worker goes)
import { CommandError } from '../../base/errors.js';
import { argWords, whereObject } from '../../node/commands/args.js';
import { parseWhere, optionsObject } from '../../protocols/command/where.js';
import { tokenize } from '../../protocols/command/lexer.js';
import { duration, int, required, schema, str } from '../../runtime/config/schema.js';
import { actorEntry, type CommandSpec, type NodeApi, type ServiceDescriptor } from '../../node/service.js';
import { schedulerSchema } from './config.js';
import { SCHEDULER, type SchedulerIn, type TaskOp } from './messages.js';
import { MAX_SCHEDULER_ID } from './tasks.js';
import type { DispatchEnv } from '../../node/commands/dispatcher.js';
import { Status } from '../../base/status.js';
import type { AskMessage, MessageOf, ReplyOf } from '../../runtime/address.js';

const KIND = 'scheduler';

const scheduleSchema = schema('schedule', {
  time: required(duration()),
  name: str(),
  scheduler: int(1, { min: 0, max: 10 }),
  start: str(),
});

const taskSchema = schema('task', {
  scheduler: int(1, { min: 0, max: 10 }),
  name: str(),
  id: int(undefined, { min: 1 }),
  start: str(),
});

function actorId(node: NodeApi): string | undefined {
  return node.instances(KIND).find((i) => i.status === 'running' || i.status === 'restarting')?.id;
}

/** The scheduler worker hosts every scheduler id; start it (running `id`) when it is not there. */
async function ensureRunning(node: NodeApi, id: number, source: string): Promise<boolean> {
  if (actorId(node)) return false;
  await node.startService(node.service(KIND)!, { id }, { source });
  return true;
}

function ask<T extends SchedulerIn['type']>(
  node: NodeApi,
  msg: AskMessage<SchedulerIn, T>,
): Promise<ReplyOf<SchedulerIn, T>> {
  if (!actorId(node)) throw new CommandError('Scheduler is not running', { code: Status.CommandStructure });
  return node.ask(SCHEDULER, msg);
}

const runScheduler: CommandSpec = {
  words: ['run', 'scheduler'],
  method: 'post',
  usage: 'run scheduler [id]',
  async run(inv, node) {
    const [raw, extra] = argWords(inv, node);
    if (extra !== undefined || inv.where)
      throw new CommandError('run scheduler: expected at most one scheduler id', { code: Status.CommandStructure });
    // EdgeLake: an id above 10 is error 2 with this text (member_cmd.py L11963-11994).
    if (raw !== undefined && /^\d+$/.test(raw) && Number(raw) > MAX_SCHEDULER_ID)
      throw new CommandError('Scheduler ID is above limit', { code: Status.CommandStructure });
    const { id } = schedulerSchema.parse(raw === undefined ? {} : { id: raw }, 'run scheduler');
    if (!(await ensureRunning(node, id, inv.env.source))) await ask(node, { type: 'scheduler.run', id });
    return '';
  },
};

const scheduleTask: CommandSpec = {
  words: ['schedule'],
  method: 'post',
  usage:
    'schedule time = <n> seconds|minutes|hours|days [and name = ..] [and scheduler = id] [and start = +1d] task <command>',
  async run(inv, node) {
    // The options end at the word `task`; the rest of the text is the command, kept verbatim.
    const taskTok = inv.tokens.find((t) => t.kind === 'word' && t.text === 'task');
    if (!taskTok) throw new CommandError("Missing 'task' in schedule statement", { code: Status.CommandStructure });
    const command = inv.text.slice(taskTok.pos + 4).trim();
    if (command === '')
      throw new CommandError('Missing scheduled command to execute', { code: Status.CommandStructure });
    const optToks = tokenize(inv.text.slice(0, taskTok.pos)).slice(1);
    // `... and time = 1 day and task <cmd>`: EdgeLake's `_schedule` reads the options up to `task`, so an `and`
    // right before it joins nothing and is accepted (the deployment scripts write it).
    const last = optToks[optToks.length - 1];
    if (last?.kind === 'word' && last.text.toLowerCase() === 'and') optToks.pop();
    const opts = scheduleSchema.parse(
      optionsObject(parseWhere(optToks), (w) => node.resolve(w)),
      'schedule',
    );
    await ensureRunning(node, 0, inv.env.source);
    const msg: SchedulerIn = {
      type: 'scheduler.add',
      scheduler: opts.scheduler,
      name: opts.name ?? null,
      repeatSec: opts.time,
      command,
    };
    if (opts.start !== undefined) msg.start = opts.start;
    // A REST client or a peer must not gain the owner's rights by scheduling a command: its runs keep the sender's.
    const env = inv.env as DispatchEnv;
    const via = env.via ?? (env.peer ? 'peer' : undefined);
    if (via) msg.origin = env.user ? { via, user: env.user } : { via };
    await ask(node, msg);
    return '';
  },
};

const taskCommand = (op: TaskOp): CommandSpec => ({
  words: ['task', op],
  method: 'post',
  usage: `task ${op} where [scheduler = 1 and] name = <name> | id = <id>${op === 'init' ? ' and start = <date>' : ''}`,
  async run(inv, node) {
    const o = taskSchema.parse(whereObject(inv, node), `task ${op}`);
    if ((o.name === undefined) === (o.id === undefined)) {
      throw new CommandError(
        o.name === undefined
          ? 'Task Name or Task ID needs to be provided'
          : 'Task Name and Task ID are provided - only one is needed',
        { code: Status.CommandStructure },
      );
    }
    if (op === 'init' && o.start === undefined)
      throw new CommandError('Missing start date and time for scheduled task', { code: Status.CommandStructure });
    const msg: MessageOf<SchedulerIn, 'scheduler.task'> = { type: 'scheduler.task', op, scheduler: o.scheduler };
    if (o.name !== undefined) msg.name = o.name;
    if (o.id !== undefined) msg.id = o.id;
    if (o.start !== undefined) msg.start = o.start;
    return (await ask(node, msg)) ?? '';
  },
});

const getScheduler: CommandSpec = {
  words: ['get', 'scheduler'],
  method: 'get',
  usage: 'get scheduler [id]',
  async run(inv, node) {
    const [raw] = argWords(inv, node);
    const id = raw === undefined ? undefined : required(int(undefined, { min: 0 })).parse(raw, 'get scheduler');
    if (!actorId(node)) return id === undefined ? '' : `Scheduler ${id} not declared`;
    return ask(node, id === undefined ? { type: 'scheduler.show' } : { type: 'scheduler.show', id });
  },
};

// EdgeLake: member_cmd.py `_exit` sets the scheduler exit flag (every scheduler thread ends, task_scheduler.py
// `schedule_server`) or, with an id, `task_scheduler.set_not_active(id)`; the task lists stay, so a later
// `run scheduler <id>` runs the same tasks again. Here the worker stays (it holds the tasks), its ids stopped.
const exitScheduler: CommandSpec = {
  words: ['exit', 'scheduler'],
  method: 'post',
  usage: 'exit scheduler [id]',
  async run(inv, node) {
    const [raw] = argWords(inv, node);
    const id = actorId(node);
    if (!id) return 'Scheduler is not running';
    if (raw === undefined) {
      const { running } = await ask(node, { type: 'scheduler.ids' });
      for (const sched of running) await ask(node, { type: 'scheduler.exit', id: sched });
      return '';
    }
    const sched = required(int(undefined, { min: 0, max: 10 })).parse(raw, 'exit scheduler');
    await ask(node, { type: 'scheduler.exit', id: sched });
    return '';
  },
};

export const schedulerService: ServiceDescriptor = {
  kind: KIND,
  process: 'Scheduler',
  run: [['scheduler']],
  exit: ['scheduler'],
  yaml: 'scheduler',
  schema: schedulerSchema,
  entry: actorEntry(import.meta.url),
  positional: ['id'],
  restart: 'permanent',
  shutdownMs: 2000,
  // EdgeLake runs its system scheduler 0 from boot (task_scheduler.py `get_info` shows it in `get processes`);
  // here scheduler 0 is a worker started with its first task, so before that the row reads as EdgeLake's.
  idleStatus: 'Running',
  idleDetails: 'Schedulers IDs in use: [0 (system)]',
  async declared(instances, node) {
    if (!instances.some((i) => i.status === 'running')) return true;
    // EdgeLake task_scheduler.py `is_running`: some scheduler id is running.
    return (await node.ask(SCHEDULER, { type: 'scheduler.ids' }, 2000)).running.length > 0;
  },
  async details(instances, node) {
    const id = instances.find((i) => i.status === 'running')?.id;
    if (!id) return '';
    const { running } = await node.ask(SCHEDULER, { type: 'scheduler.ids' }, 2000);
    if (running.length === 0) return '';
    // EdgeLake task_scheduler.py L64-79
    return `Schedulers IDs in use:${running.map((r) => (r === 0 ? ' [0 (system)]' : r === 1 ? ' [1 (user)]' : ` [${r}]`)).join('')}`;
  },
  commands: [
    runScheduler,
    scheduleTask,
    ...(['stop', 'resume', 'remove', 'init', 'run'] as const).map(taskCommand),
    getScheduler,
    exitScheduler,
  ],
};
