// What tests read of this process's memory from /proc (Linux).
import { readFileSync, realpathSync } from 'node:fs';

/** kB of `file` resident in this process: the Rss of its mappings in /proc/self/smaps. */
export function residentKb(file: string): number {
  const path = realpathSync(file);
  let kb = 0;
  let mine = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S{4} \S+ \S+ \d+\s+(.*)$/.exec(line);
    if (head) mine = head[1] === path;
    else if (mine && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)![1]);
  }
  return kb;
}
