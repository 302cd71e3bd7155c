// The scheduler actor: EdgeLake's schedulers 0..10 and their tasks, in one worker.
// Tasks are EdgeLake commands run through the node's dispatcher (`ask('node', node.command)`), one
// after another, as EdgeLake runs them on its scheduler thread. The timer is set to the next due task
// (EdgeLake polls every 10 s) and comes from the injectable clock, so tests advance time instead of
// sleeping. The task tables are stashed on the main thread after every change, so a crashed and
// restarted scheduler comes back with its tasks, counters and modes.
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import { schedulerSchema, type SchedulerConfig } from './config.js';
import type { SchedulerIds, SchedulerIn } from './messages.js';
import { NODE, type NodeIn } from '../../node/messages.js';
import type { MessageOf } from '../../runtime/address.js';
import { TaskTables, expandTimes, parseStart, type TablesSnapshot, type TaskOrigin } from './tasks.js';
import { defineStash } from '../../node/stash.js';

const STASH = defineStash<TablesSnapshot>();

interface State {
  tables: TaskTables;
  timer: TimerHandle | undefined;
  /** Tasks whose command is running now (a due task is not started twice). */
  busy: Set<string>;
}

/** EdgeLake's wake time, used for the first TIME(PREVIOUS) of a task (now - 10 s). */
const WAKE_SEC = 10;

function save(state: State, ctx: ActorContext<SchedulerIn>): void {
  STASH.put(ctx, state.tables.snapshot());
}

function reschedule(state: State, ctx: ActorContext<SchedulerIn>): void {
  state.timer?.cancel();
  state.timer = undefined;
  const wait = state.tables.nextDueIn(ctx.clock.now());
  if (wait === undefined) return;
  state.timer = ctx.clock.setTimeout(() => ctx.send(ctx.self, { type: 'scheduler.tick' }), Math.max(1, wait));
}

/** The node command for a task's run: with the rights of whoever scheduled it (tasks.ts `TaskOrigin`). */
function taskCommand(
  text: string,
  scheduler: number,
  origin: TaskOrigin | undefined,
): MessageOf<NodeIn, 'node.command'> {
  return { type: 'node.command', text, source: `scheduler ${scheduler}`, ...(origin ?? {}) };
}

async function execute(
  ctx: ActorContext<SchedulerIn>,
  scheduler: number,
  task: number,
  command: string,
  origin: TaskOrigin | undefined,
): Promise<void> {
  let status = 'Success';
  try {
    await ctx.ask(NODE, taskCommand(command, scheduler, origin), 120_000);
  } catch (err) {
    status = errorMessage(err);
    ctx.log.warn('scheduled task failed', { scheduler, task, command, error: status });
  }
  ctx.send(ctx.self, { type: 'scheduler.ran', scheduler, task, status });
}

export default defineActor<SchedulerConfig, State, SchedulerIn>({
  kind: 'scheduler',
  config: (raw) => schedulerSchema.parse(raw),
  async init(ctx, cfg) {
    const stash = await STASH.get(ctx);
    const state: State = { tables: TaskTables.fromSnapshot(stash ?? undefined), timer: undefined, busy: new Set() };
    if (!stash) {
      // A fresh scheduler worker: EdgeLake's system scheduler 0 runs on every node with a scheduler.
      // (The worker itself starts only when a scheduler or a task is asked for: no idle worker.)
      state.tables.run(0);
      // EdgeLake's start_init_commands (job/task_scheduler.py): scheduler 0 pings unresponsive servers each minute.
      state.tables.add(0, 'Metadata Ping', 60, ctx.clock.now(), 'set servers ping');
    }
    if (!state.tables.runningIds().includes(cfg.id)) state.tables.run(cfg.id);
    save(state, ctx);
    reschedule(state, ctx);
    return state;
  },
  async handle(state, msg, ctx) {
    const now = ctx.clock.now();
    switch (msg.type) {
      case 'scheduler.run':
        state.tables.run(msg.id);
        break;
      case 'scheduler.exit':
        state.tables.stop(msg.id);
        break;
      case 'scheduler.add': {
        const start = msg.start === undefined ? now : parseStart(msg.start, now);
        const task = state.tables.add(msg.scheduler, msg.name, msg.repeatSec, start, msg.command, msg.origin);
        save(state, ctx);
        reschedule(state, ctx);
        return task.id;
      }
      case 'scheduler.task': {
        const task = state.tables.find(msg.scheduler, msg.id !== undefined ? { id: msg.id } : { name: msg.name ?? '' });
        switch (msg.op) {
          case 'stop':
            task.mode = 'Stopped';
            break;
          case 'resume':
            task.mode = 'Paused';
            break;
          case 'remove':
            state.tables.remove(msg.scheduler, task);
            break;
          case 'init':
            task.startAt = parseStart(msg.start ?? '', now);
            task.mode = 'Paused';
            break;
          case 'run':
            // EdgeLake: runs the command once now; the counter does not change.
            return ctx.ask(NODE, taskCommand(task.command, msg.scheduler, task.origin), 120_000);
          default:
            return assertNever(msg.op, 'task operation');
        }
        break;
      }
      case 'scheduler.show':
        return state.tables.show(msg.id);
      case 'scheduler.ids':
        return { running: state.tables.runningIds() } satisfies SchedulerIds;
      case 'scheduler.tick':
        for (const { schedId, task } of state.tables.due(now)) {
          const key = `${schedId}/${task.id}`;
          if (state.busy.has(key)) continue;
          state.busy.add(key);
          task.mode = 'Active';
          task.counter++;
          task.lastRun = now;
          void execute(ctx, schedId, task.id, expandTimes(task, task.command, now, WAKE_SEC), task.origin);
        }
        break;
      case 'scheduler.ran': {
        state.busy.delete(`${msg.scheduler}/${msg.task}`);
        try {
          state.tables.find(msg.scheduler, { id: msg.task }).runStatus = msg.status;
        } catch (err) {
          // The task was removed while it ran: nothing to record.
          ctx.log.debug('finished task is gone', { error: errorMessage(err) });
        }
        break;
      }
      default:
        return assertNever(msg, 'scheduler message');
    }
    save(state, ctx);
    reschedule(state, ctx);
    return undefined;
  },
  stop(state) {
    state.timer?.cancel();
  },
});
