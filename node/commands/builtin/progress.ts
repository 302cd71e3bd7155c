// `get progress`: long tasks the node's actors report (the operator's journal replay at start, large file
// loads), n of N with the rate, as the logs show them (node/metrics/status.ts). `where format = json` for tools.
import { formatTable } from '../../../protocols/format/table.js';
import type { CommandSpec } from '../../service.js';
import { whereObject } from '../args.js';

export const getProgress: CommandSpec = {
  words: ['get', 'progress'],
  method: 'get',
  usage: 'get progress [where format = json]',
  async run(inv, node) {
    const list = node.board?.progressList() ?? [];
    if (String(whereObject(inv, node)['format'] ?? '').toLowerCase() === 'json') return JSON.stringify(list);
    if (list.length === 0) return 'No task in progress or done';
    return formatTable(
      ['Task', 'Done', 'Total', 'Unit', 'Rate/s', 'Seconds', 'Status'],
      list.map((p) => [
        p.task,
        p.done,
        p.total,
        p.unit,
        Math.round(p.rate),
        Math.round((p.updatedAt - p.startedAt) / 1000),
        p.finished ? 'done' : 'running',
      ]),
    );
  },
};
