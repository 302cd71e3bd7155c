// The control socket's protocol: one JSON object per line each way, matched by `id`.
//   {"id":1,"op":"cmd","text":"get processes"}            -> {"id":1,"ok":true,"text":"..."}
//   {"id":2,"op":"send","actor":"scheduler","message":{..},"ask":true} -> {"id":2,"ok":true,"value":..}
//   {"id":3,"op":"kill","actor":"scheduler"}               -> {"id":3,"ok":true}
//   {"id":4,"op":"stop"}                                    -> {"id":4,"ok":true} (then the node stops)
// Errors: {"id":n,"ok":false,"error":{"name","message","code"?}}.
import type { SerializedError } from '../../base/errors.js';

export type ControlRequest =
  | { id: number; op: 'cmd'; text: string }
  | { id: number; op: 'send'; actor: string; message: unknown; ask: boolean; timeoutMs?: number }
  | { id: number; op: 'kill'; actor: string }
  | { id: number; op: 'stop' }
  | { id: number; op: 'ping' };

export type ControlResponse =
  | { id: number; ok: true; text?: string; value?: unknown }
  | { id: number; ok: false; error: Pick<SerializedError, 'name' | 'message' | 'code'> };

/** Longest request line accepted; a peer sending more is cut off (a bad client fails alone). */
export const MAX_LINE = 4 * 1024 * 1024;
