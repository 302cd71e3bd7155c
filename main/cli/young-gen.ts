// The main thread's young generation while the node starts. V8 grows a semi-space (1 MB at first) by
// `semi_space_growth_factor` (2) whenever a scavenge finds much of it alive, which is what loading every module
// and starting the services looks like: the main thread ended its start with 3-4 MB semi-spaces (new space 6.4 MB
// resident) that only V8's memory reducer gives back, 8-10 s after start or, on a loaded machine, later (bench/
// README.md memory). Growth is held at 1x while the node starts and given back to V8's default once it runs, so an
// idle node keeps 1 MB semi-spaces and a busy one grows them as before. The flag is process-wide but read at each
// growth; worker isolates size their young generation from their own resource limits (runtime/worker-ref.ts).
import { setFlagsFromString } from 'node:v8';

/** V8's default (flag-definitions.h `semi_space_growth_factor`). */
const DEFAULT_GROWTH = 2;

/** Until `release` is called, the main thread's semi-spaces do not grow. */
export function holdYoungGeneration(): { release(): void } {
  setFlagsFromString('--semi-space-growth-factor=1');
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
    },
  };
}
