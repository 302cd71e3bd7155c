// The scheduler actor's mailbox.
export type TaskOp = 'stop' | 'resume' | 'remove' | 'init' | 'run';

export type SchedulerIn =
  | { type: 'scheduler.run'; id: number }
  | { type: 'scheduler.exit'; id?: number }
  | {
      type: 'scheduler.add';
      scheduler: number;
      name: string | null;
      repeatSec: number;
      start?: string;
      command: string;
    }
  | { type: 'scheduler.task'; op: TaskOp; scheduler: number; name?: string; id?: number; start?: string }
  | { type: 'scheduler.show'; id?: number }
  | { type: 'scheduler.ids' }
  /** Internal: a timer fired. */
  | { type: 'scheduler.tick' }
  /** Internal: a task's command finished. */
  | { type: 'scheduler.ran'; scheduler: number; task: number; status: string };

/** Reply of `scheduler.ids`. */
export interface SchedulerIds {
  running: number[];
}
