// How `run client` shows the answers (EdgeLake job_instance.get_nodes_print_message L365-397):
//   text answer   "\r\n[From Node <ip:port>] <text>"           (<= 120 characters, one line)
//                 "\r\n[From Node <ip:port>]\r\n<text>"        (longer, or several lines)
//   JSON answers  {"<ip:port>" : <json>, ...}                   (generic flag 2)
//   both          {"<ip:port>" : <json>, ...,"messages" : "<the text answers>"}
// A query's rows are consolidated and shown by node/query/network-query.ts.
import type { Outcome } from './network.js';

/** The `[From Node ...]` text of all answers, EdgeLake's way. */
export function formatAnswers(outcomes: readonly Outcome[]): string {
  const json: string[] = [];
  let text = '';
  for (const o of outcomes) {
    const label = o.target.label;
    const body = o.kind === 'text' ? o.text : o.kind === 'failed' ? `Error: ${o.reason}` : `(${o.rows.length} rows)`;
    if (o.kind === 'text' && o.json && o.error === 0) {
      json.push(`"${label}" : ${body}`);
      continue;
    }
    text +=
      body.length <= 120 && !body.includes('\n')
        ? `\r\n[From Node ${label}] ${body}`
        : `\r\n[From Node ${label}]\r\n${body}`;
  }
  if (json.length === 0) return text;
  return text ? `{${json.join(',')},"messages" : ${JSON.stringify(text)}}` : `{${json.join(',')}}`;
}
