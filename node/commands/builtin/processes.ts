// `get processes [where format = table|json]` (EdgeLake cmd/member_cmd.py L8521-8580):
//     Process         Status       Details
//     ---------------|------------|-------|
//     TCP            |Running     |Listening on: 127.0.0.1:32148, Threads Pool: 6|
// Status is EdgeLake's `Running` / `Not declared`, plus edgelake-rt's `Restarting` and `Failed`.
// The JSON form is EdgeLake's `{"TCP": {"Status": .., "Details": ..}}` with, for running services,
// the supervisor's view: restarts, worker thread id(s), mailbox depth and uptime.
import { errorMessage } from '../../../base/errors.js';
import { formatTable, pyJson } from '../../../protocols/format/table.js';
import {
  PROCESS_ORDER,
  type CommandSpec,
  type NodeApi,
  type ProcessName,
  type ServiceInstance,
} from '../../service.js';
import { formatOf } from '../args.js';

type Status = 'Running' | 'Not declared' | 'Restarting' | 'Failed';

interface Row {
  process: ProcessName;
  status: Status;
  details: string;
  instances: ServiceInstance[];
}

function statusOf(instances: ServiceInstance[]): Status {
  if (instances.length === 0) return 'Not declared';
  // `idle`: a lazy service declared, its worker not started yet (the Query Pool before its first query).
  if (instances.some((i) => i.status === 'running' || i.status === 'idle')) return 'Running';
  if (instances.some((i) => i.status === 'restarting' || i.status === 'starting')) return 'Restarting';
  if (instances.some((i) => i.status === 'failed')) return 'Failed';
  return 'Not declared';
}

export async function processRows(node: NodeApi): Promise<Row[]> {
  const rows: Row[] = [];
  for (const process of PROCESS_ORDER) {
    const descs = node.services().filter((s) => s.process === process);
    const instances = descs.flatMap((d) => node.instances(d.kind));
    const idle = descs.find((d) => d.idleStatus)?.idleStatus;
    let status = instances.length === 0 && idle ? idle : statusOf(instances);
    let details = '';
    const declared = descs.find((d) => d.declared && node.instances(d.kind).length > 0);
    if (status === 'Running' && declared) {
      try {
        if (!(await declared.declared!(node.instances(declared.kind), node))) status = 'Not declared';
      } catch (err) {
        // The row stays Running: the worker is there, only its answer is missing.
        details = `(details unavailable: ${errorMessage(err)})`;
      }
    }
    if (details !== '') {
      // already explained
    } else if (status === 'Failed') details = instances.find((i) => i.error)?.error ?? '';
    else if (instances.length > 0 && status !== 'Not declared') {
      const d = descs.find((x) => node.instances(x.kind).length > 0)!;
      try {
        details = d.details ? await d.details(node.instances(d.kind), node) : '';
      } catch (err) {
        details = `(details unavailable: ${errorMessage(err)})`;
      }
    } else if (instances.length === 0) details = descs.find((d) => d.idleDetails)?.idleDetails ?? '';
    rows.push({ process, status, details, instances });
  }
  return rows;
}

export const getProcesses: CommandSpec = {
  words: ['get', 'processes'],
  method: 'get',
  usage: 'get processes [where format = json]',
  async run(inv, node) {
    const format = formatOf(inv, node);
    const rows = await processRows(node);
    if (format === 'json') {
      const out: Record<string, Record<string, unknown>> = {};
      const now = Date.now();
      for (const r of rows) {
        const o: Record<string, unknown> = { Status: r.status };
        if (r.details) o['Details'] = r.details;
        if (r.instances.length > 0) {
          o['Restarts'] = r.instances.reduce((n, i) => n + i.restarts, 0);
          o['Threads'] = r.instances.map((i) => i.threadId ?? -1);
          o['Mailbox'] = r.instances.reduce((n, i) => n + (i.mailboxDepth ?? 0), 0);
          const started = r.instances.map((i) => i.startedAt ?? 0).filter((x) => x > 0);
          o['Uptime'] = started.length > 0 ? Math.round((now - Math.min(...started)) / 1000) : 0;
          o['Instances'] = r.instances.map((i) => ({ id: i.id, status: i.status, restarts: i.restarts }));
        }
        out[r.process] = o;
      }
      return pyJson(out);
    }
    // The table starts with its own line break: EdgeLake's reply has one CRLF before the title
    // (member_cmd.py `get_processes_stat`, utils_print `output_nested_lists`).
    return formatTable(
      ['Process', 'Status', 'Details'],
      rows.map((r) => [r.process, r.status, r.details]),
      { prefix: '    ' },
    );
  },
};
