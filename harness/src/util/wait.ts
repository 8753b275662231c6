// Waiting for a condition with a generous deadline: tests assert what happens, never how fast.
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error, with the last value seen, when the deadline passes. */
  what?: string;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/**
 * Waits until two reads `intervalMs` apart (default 1 s) give the same value, and returns it:
 * e.g. the apiservers' write counts once the writes of earlier steps have all landed, so a step
 * can count its own from there.
 */
export async function waitForSteady<T>(read: () => Promise<T>, opts: WaitOptions = {}): Promise<T> {
  let last: string | undefined;
  let value: T | undefined;
  return waitFor(async () => {
    value = await read();
    const now = JSON.stringify(value);
    const steady = now === last;
    last = now;
    return steady ? value : undefined;
  }, { intervalMs: 1000, ...opts });
}
