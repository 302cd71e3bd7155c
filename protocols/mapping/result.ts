// What a compiled mapping returns for one message: rows for the streamer, or one typed failure.
// A failure is a value, not an exception: a bad message must fail alone and never take the
// client down (spec section 6: mapping failures are counted and logged, the raw message may go
// to `!err_dir`). Codes and status texts are EdgeLake's (generic/process_status.py).

export const MapCode = {
  /** Error with info provided to MQTT: a bad mapping, or a value that does not fit its type. */
  badMapping: 124,
  /** Error with data provided by a subscribed message: a required value is missing. */
  missingValue: 125,
  /** The dbms name brought from the message is empty. */
  emptyDbms: 126,
  /** The table name brought from the message is empty. */
  emptyTable: 127,
  /** The payload looks like JSON but does not parse. */
  notJson: 158,
  /** A data type (given in the message with `type = "bring .."`) is not supported. */
  typeNotSupported: 188,
  /** The payload is neither a JSON object nor a JSON array. */
  unrecognized: 299,
} as const;

export type MapCodeValue = (typeof MapCode)[keyof typeof MapCode];

/** EdgeLake's status text per code, for `get msg clients` (`Last Error`). */
export const MAP_STATUS_TEXT: Readonly<Record<MapCodeValue, string>> = {
  124: 'Error with info provided to MQTT',
  125: 'Error with data provided by a subscribed message',
  126: 'MQTT: Failed to retrieve DBMS name from message',
  127: 'MQTT: Failed to retrieve Table name from message',
  158: 'MQTT message not in JSON format',
  188: 'Data type not supported',
  299: 'Failed to identify application data',
};

export interface MappedRow {
  dbms: string;
  table: string;
  /** Column name (as written in the mapping) -> value of its JS type (see types.ts). */
  row: Record<string, unknown>;
}

export interface MapFailure {
  code: MapCodeValue;
  /** Names the topic or policy, the column and the path, for the error log. */
  reason: string;
}

export type MapResult = { rows: MappedRow[] } | { error: MapFailure };

/** `(payload, now) => MapResult`. Built once per topic or policy; never throws on any payload. */
export type Mapper = (payload: unknown, now: Date) => MapResult;

/**
 * Several mapping policies on one topic (`topic = (name = t and policy = A and policy = B)`): each maps the message
 * in turn, as EdgeLake's mqtt_client.py `process_using_policies` applies every policy of the topic and writes the
 * rows of each that maps. The rows of all that map are kept; the message fails (with the last failure) only when
 * none maps it, because a topic that carries several kinds of messages has a policy per kind and the others do not
 * fit.
 */
export function chainMappers(mappers: readonly Mapper[]): Mapper {
  if (mappers.length === 1) return mappers[0]!;
  return (payload, now) => {
    const rows: MappedRow[] = [];
    let failure: { error: MapFailure } | undefined;
    let mapped = false;
    for (const m of mappers) {
      const r = m(payload, now);
      if ('error' in r) failure = r;
      else {
        mapped = true;
        rows.push(...r.rows);
      }
    }
    return mapped || !failure ? { rows } : failure;
  };
}

export function fail(code: MapCodeValue, reason: string): { error: MapFailure } {
  return { error: { code, reason } };
}

export function isFailure(r: MapResult): r is { error: MapFailure } {
  return 'error' in r;
}
