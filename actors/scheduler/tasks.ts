// The scheduler's task tables, as EdgeLake keeps them (job/task_scheduler.py, job/sche_task.py):
// schedulers 0..10, each with tasks in 1-based slots; a removed task's slot is reused by the next one.
// A task not Stopped whose start time has passed runs when it never ran or `now >= last run + repeat`;
// after a run its mode is Active. Pure data and logic: the actor owns one table and its timers.
import { CommandError } from '../../base/errors.js';
import { maskSecrets } from '../../base/mask.js';
import { formatTable } from '../../protocols/format/table.js';
import { Status } from '../../base/status.js';

export type TaskMode = 'Paused' | 'Active' | 'Stopped';

export interface Task {
  id: number;
  /** Unnamed tasks are `null` (EdgeLake's None): a second unnamed task is a duplicate. */
  name: string | null;
  command: string;
  repeatSec: number;
  startAt: number;
  mode: TaskMode;
  counter: number;
  lastRun: number | null;
  /** Status text of the last run (`Success` or the error), EdgeLake's Run Status column. */
  runStatus: string | null;
  /** The last TIME(CURRENT) value, used as the next TIME(PREVIOUS). */
  previousTime: string | null;
}

export interface SchedulerTable {
  running: boolean;
  /** slot 0 unused, like EdgeLake; null = a removed task */
  tasks: (Task | null)[];
}

export interface TablesSnapshot {
  schedulers: Record<string, SchedulerTable>;
}

export const MAX_SCHEDULER_ID = 10;
export const TASK_NOT_FOUND = 162;

export class TaskTables {
  private readonly tables = new Map<number, SchedulerTable>();

  static fromSnapshot(s: TablesSnapshot | undefined): TaskTables {
    const t = new TaskTables();
    for (const [id, table] of Object.entries(s?.schedulers ?? {})) t.tables.set(Number(id), table);
    return t;
  }

  snapshot(): TablesSnapshot {
    return { schedulers: Object.fromEntries([...this.tables].map(([id, t]) => [String(id), t])) };
  }

  private table(id: number): SchedulerTable {
    if (!Number.isInteger(id) || id < 0 || id > MAX_SCHEDULER_ID)
      throw new CommandError('Scheduler ID is above limit', { code: Status.CommandStructure });
    let t = this.tables.get(id);
    if (!t) {
      t = { running: false, tasks: [null] };
      this.tables.set(id, t);
    }
    return t;
  }

  /** Starts a scheduler. EdgeLake: an id above 10 is error 2, an active one error 136. */
  run(id: number): void {
    const t = this.table(id);
    if (t.running) throw new CommandError('Process already active', { code: Status.ProcessAlreadyRunning });
    t.running = true;
  }

  stop(id?: number): void {
    if (id === undefined) for (const t of this.tables.values()) t.running = false;
    else {
      const t = this.tables.get(id);
      if (t) t.running = false;
    }
  }

  runningIds(): number[] {
    return [...this.tables]
      .filter(([, t]) => t.running)
      .map(([id]) => id)
      .sort((a, b) => a - b);
  }

  declaredIds(): number[] {
    return [...this.tables.keys()].sort((a, b) => a - b);
  }

  add(schedId: number, name: string | null, repeatSec: number, startAt: number, command: string): Task {
    const t = this.table(schedId);
    if (t.tasks.some((x) => x && x.name === name))
      throw new CommandError(`Duplicate task name: '${name ?? 'None'}'`, { code: Status.CommandStructure });
    if (command.trim() === '')
      throw new CommandError('Missing scheduled command to execute', { code: Status.CommandStructure });
    let slot = t.tasks.findIndex((x, i) => i > 0 && x === null);
    if (slot < 0) slot = t.tasks.length;
    const task: Task = {
      id: slot,
      name,
      command,
      repeatSec,
      startAt,
      mode: 'Paused',
      counter: 0,
      lastRun: null,
      runStatus: null,
      previousTime: null,
    };
    t.tasks[slot] = task;
    return task;
  }

  find(schedId: number, by: { name?: string; id?: number }): Task {
    const t = this.tables.get(schedId);
    const task = t?.tasks.find((x) => x && (by.id !== undefined ? x.id === by.id : x.name === by.name));
    if (!task) {
      const label = by.id !== undefined ? `#${by.id}` : by.name;
      throw new CommandError(`Task '${label}' in scheduler '${schedId}' is not valid`, { code: TASK_NOT_FOUND });
    }
    return task;
  }

  remove(schedId: number, task: Task): void {
    const t = this.tables.get(schedId);
    if (t) t.tasks[task.id] = null;
  }

  /** Tasks due at `now` on running schedulers, in scheduler then slot order. */
  due(now: number): { schedId: number; task: Task }[] {
    const out: { schedId: number; task: Task }[] = [];
    for (const id of this.runningIds()) {
      for (const task of this.tables.get(id)!.tasks) {
        if (!task || task.mode === 'Stopped') continue;
        if (task.mode !== 'Active' && now < task.startAt) continue;
        if (task.lastRun === null || now >= task.lastRun + task.repeatSec * 1000) out.push({ schedId: id, task });
      }
    }
    return out;
  }

  /** Milliseconds until the next task may be due (for the actor's timer), or undefined. */
  nextDueIn(now: number): number | undefined {
    let best: number | undefined;
    for (const id of this.runningIds()) {
      for (const task of this.tables.get(id)!.tasks) {
        if (!task || task.mode === 'Stopped') continue;
        const at = Math.max(
          task.mode === 'Active' ? 0 : task.startAt,
          task.lastRun === null ? 0 : task.lastRun + task.repeatSec * 1000,
        );
        const wait = Math.max(0, at - now);
        if (best === undefined || wait < best) best = wait;
      }
    }
    return best;
  }

  show(id?: number): string {
    if (id !== undefined) return this.showOne(id);
    return this.declaredIds()
      .map((i) => `\r\n${this.showOne(i)}`)
      .join('');
  }

  private showOne(id: number): string {
    const t = this.tables.get(id);
    if (!t) return `Scheduler ${id} not declared`;
    const rows = t.tasks
      .filter((x): x is Task => x !== null)
      .map((x) => [
        x.id,
        x.mode,
        x.name ?? '',
        x.counter,
        x.counter ? maskSecrets(x.runStatus ?? '') : 'No runs',
        localTime(x.startAt),
        hms(x.repeatSec),
        // A scheduled `connect dbms ... password = ..` is shown without its password.
        maskSecrets(x.command),
      ]);
    return (
      `\r\nScheduler ID:     ${id}\r\nScheduler Status: ${t.running ? 'Running' : 'Not Running'}` +
      formatTable(['ID', 'Mode', 'Name', 'Counter', 'Run Status', 'Start-Time', 'Repeat-Time', 'Task'], rows, {
        header: 'Scheduled Tasks',
      })
    );
  }
}

/** `H:M:S` unpadded, as EdgeLake shows Repeat-Time. */
export function hms(sec: number): string {
  const s = Math.floor(sec);
  return `${Math.floor(s / 3600)}:${Math.floor((s % 3600) / 60)}:${s % 60}`;
}

/** Node-local `YYYY-MM-DD HH:MM:SS.ffffff` (Python's str(datetime.now())). */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

/** Replaces the first TIME(PREVIOUS) and TIME(CURRENT) (EdgeLake task_scheduler.py L180-201). */
export function expandTimes(task: Task, command: string, now: number, wakeSec: number): string {
  let out = command;
  if (out.includes('TIME(PREVIOUS)')) {
    const prev = task.previousTime ?? `'${localTime(now - wakeSec * 1000)}'`;
    out = out.replace('TIME(PREVIOUS)', prev);
  }
  if (out.includes('TIME(CURRENT)')) {
    const cur = `'${localTime(now)}'`;
    out = out.replace('TIME(CURRENT)', cur);
    task.previousTime = cur;
  }
  return out;
}

/** `start = +1d` / `-2h` / a date (`2026-11-24 03:03:02` local, or ISO with zone). Milliseconds. */
export function parseStart(text: string, now: number): number {
  const rel = /^([+-])(\d+)\s*([smhd])$/i.exec(text.trim());
  if (rel) {
    const mult = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[3]!.toLowerCase() as 's' | 'm' | 'h' | 'd'];
    return now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * mult;
  }
  const t = Date.parse(text.trim().replace(' ', 'T'));
  if (Number.isNaN(t))
    throw new CommandError(`start: '${text}' is not a date (use 'YYYY-MM-DD HH:MM:SS' or +1d)`, {
      code: Status.CommandStructure,
    });
  return t;
}
