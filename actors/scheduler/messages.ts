// The scheduler actor's mailbox.
import { actorAddress, type Ask } from '../../runtime/address.js';

export type TaskOp = 'stop' | 'resume' | 'remove' | 'init' | 'run';

import type { TaskOrigin } from './tasks.js';

export type SchedulerIn =
  | { type: 'scheduler.run'; id: number }
  | { type: 'scheduler.exit'; id?: number }
  /** Replies the new task's id. */
  | Ask<
      {
        type: 'scheduler.add';
        scheduler: number;
        name: string | null;
        repeatSec: number;
        start?: string;
        command: string;
        /** Scheduled from outside: the runs carry the sender's rights (tasks.ts `TaskOrigin`). */
        origin?: TaskOrigin;
      },
      number
    >
  /** Replies the command's reply for `run`, nothing for the other operations. */
  | Ask<
      { type: 'scheduler.task'; op: TaskOp; scheduler: number; name?: string; id?: number; start?: string },
      string | undefined
    >
  | Ask<{ type: 'scheduler.show'; id?: number }, string>
  | Ask<{ type: 'scheduler.ids' }, SchedulerIds>
  /** Internal: a timer fired. */
  | { type: 'scheduler.tick' }
  /** Internal: a task's command finished. */
  | { type: 'scheduler.ran'; scheduler: number; task: number; status: string };

export const SCHEDULER = actorAddress<SchedulerIn>('scheduler');

/** Reply of `scheduler.ids`. */
export interface SchedulerIds {
  running: number[];
}
