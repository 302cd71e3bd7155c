// The running operator's watch directory, where a REST `mode: file` PUT writes its file (issue 12 item 9): set by
// the operator's service when it starts and removed when it exits, so the REST server never writes to a directory
// no operator reads. Kept here because both services speak it.
import { defineSetting, readSetting } from '../../node/settings.js';
import type { ActorContext } from '../../runtime/actor.js';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export const OPERATOR_WATCH_DIR = defineSetting<string>('operator.watch_dir');

/** The running operator's watch directory; a typed error (203 Operator not available) when no operator runs. */
export async function operatorWatchDir(ctx: ActorContext): Promise<string> {
  const dir = await readSetting(ctx, OPERATOR_WATCH_DIR);
  if (dir === undefined)
    throw new CommandError(
      "no operator is running: a 'mode: file' PUT needs one to read its watch directory ('run operator'), or send 'mode: streaming'",
      { code: Status.OperatorNotAvailable },
    );
  return dir;
}
