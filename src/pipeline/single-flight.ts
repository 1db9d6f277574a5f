/**
 * One computation per key at a time in this process: a second caller with the same key while the
 * first is running waits for the first's result instead of computing it again. The points of a
 * learning-rate sweep that run side by side share one Gram eigendecomposition this way (across
 * worker processes each computes it; the artifacts are identical and written atomically).
 */
const inFlight = new Map<string, Promise<unknown>>();

/** Runs `work` unless a call with `key` is already running; `shared` is true for the callers that waited on another's. */
export async function singleFlight<T>(key: string, work: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
  const running = inFlight.get(key) as Promise<T> | undefined;
  if (running) return { value: await running, shared: true };
  const promise = work();
  inFlight.set(key, promise);
  try {
    return { value: await promise, shared: false };
  } finally {
    inFlight.delete(key);
  }
}
