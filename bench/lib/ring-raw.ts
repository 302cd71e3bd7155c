// The ring benchmark's baseline: the least a two-thread hand-off of 64-byte records can do, fixed
// slots in a SharedArrayBuffer with a record-count index published with Atomics per record.
export const RAW = {
  /** Records written (producer). */
  HEAD: 0,
  /** Records read (consumer); on its own cache line. */
  TAIL: 16,
  CLOSED: 32,
} as const;

const CONTROL_BYTES = 192;

export function createRaw(capacityBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + capacityBytes);
}

export function rawSlots(sab: SharedArrayBuffer): { ctl: Int32Array; data: Uint8Array; slots: number } {
  const data = new Uint8Array(sab, CONTROL_BYTES);
  return { ctl: new Int32Array(sab, 0, CONTROL_BYTES / 4), data, slots: data.length / 64 };
}
