// From a payload to the messages a mapping applies to (EdgeLake mqtt_client.py L860-928 process_message,
// L985-1010; utils_data.get_str_obj):
//   bytes             -> UTF-8 text (Buffer, any ArrayBuffer view, ArrayBuffer); invalid UTF-8 is 299,
//                        because decoding with replacement characters would alter values
//   text              -> trimmed; `{..}` or `[..]` is parsed as JSON (failure: 158); empty or other text: 299
//   a JSON object     -> one message
//   a JSON array      -> one message per element; an element that is not an object: 158
//   anything else     -> 299
// The mapper does this itself, so callers (MQTT, Kafka, REST `command: data`, gRPC) pass what they received.
// An empty array is zero messages (EdgeLake answered 158 for `[]`).
import { EdgeRtError } from '../../base/errors.js';
import { fail, MapCode, type MapFailure, type MappedRow, type Mapper } from './result.js';
import { formatNow } from './timestamp.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Messages = { messages: readonly Record<string, unknown>[] } | { error: MapFailure };

export function toMessages(payload: unknown): Messages {
  let value = payload;
  if (payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
    const bytes =
      payload instanceof ArrayBuffer
        ? new Uint8Array(payload)
        : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    try {
      value = decoder.decode(bytes);
    } catch (err) {
      return fail(MapCode.unrecognized, `payload is not UTF-8 text (${errText(err)})`);
    }
  }
  if (typeof value === 'string') {
    const text = value.trim();
    const first = text[0];
    const last = text[text.length - 1];
    if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) {
      return fail(MapCode.unrecognized, `Application message is not recognized - Message: ${clip(text)}`);
    }
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail(MapCode.notJson, `message is not in JSON format (${errText(err)}) - Message: ${clip(text)}`);
    }
  }
  if (isObject(value)) return { messages: [value] };
  if (!Array.isArray(value))
    return fail(MapCode.unrecognized, `Application message is not recognized (${kind(value)})`);
  for (let i = 0; i < value.length; i++) {
    if (!isObject(value[i])) return fail(MapCode.notJson, `list entry ${i} is not a JSON object (${kind(value[i])})`);
  }
  return { messages: value as Record<string, unknown>[] };
}

/** Maps one message, appending its rows to `out`; returns the failure instead when it fails. */
export type MessageMapper = (msg: Record<string, unknown>, now: string, out: MappedRow[]) => MapFailure | undefined;

/**
 * The Mapper of a compiled topic or policy: payload -> messages -> rows. A message list is all or nothing:
 * one failing element fails the payload (the raw payload then goes to the error path whole, instead of
 * EdgeLake's half-written list).
 */
export function wrapMapper(one: MessageMapper): Mapper {
  let lastMs = NaN;
  let lastText = '';
  return (payload, now) => {
    const ms = now.getTime();
    if (ms !== lastMs) {
      // A caller bug, not bad data: the clock handed over an invalid Date.
      if (Number.isNaN(ms)) throw new EdgeRtError('mapping called with an invalid Date as now');
      lastText = formatNow(now);
      lastMs = ms;
    }
    // The common case first: one parsed JSON object.
    if (isObject(payload)) {
      const rows: MappedRow[] = [];
      const failure = one(payload, lastText, rows);
      return failure ? { error: failure } : { rows };
    }
    const decoded = toMessages(payload);
    if ('error' in decoded) return decoded;
    const { messages } = decoded;
    const rows: MappedRow[] = [];
    for (let i = 0; i < messages.length; i++) {
      const failure = one(messages[i]!, lastText, rows);
      if (failure) {
        if (messages.length === 1) return { error: failure };
        return fail(failure.code, `list entry ${i} of ${messages.length}: ${failure.reason}`);
      }
    }
    return { rows };
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)
  );
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Long payloads are cut in reasons: the error log line names the message, the raw copy goes to err_dir. */
function clip(text: string): string {
  return text.length > 200 ? text.slice(0, 200) + '...' : text;
}
