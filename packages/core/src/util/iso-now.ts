// Calls are logged on hot paths; formatting the time once per millisecond is plenty.
let lastMs = -1;
let lastIso = '';

/** The current time as ISO 8601, formatted at most once per millisecond. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
