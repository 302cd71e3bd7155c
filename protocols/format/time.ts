// Times as EdgeLake writes them.

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` UTC (microseconds; JavaScript has milliseconds, so the last 3 are 0). */
export function isoMicros(d: Date = new Date()): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}
