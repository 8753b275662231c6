import { HarnessError } from '../util/errors.ts';
import { logTail, type Supervised } from '../util/process.ts';

/** Waits until `url` answers 200, failing early (with the log) if the process exits first. */
export async function waitUp(proc: Supervised, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!proc.running()) throw new HarnessError(`${proc.name} exited during start; last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HarnessError(`${proc.name} not up after ${timeoutMs / 1000}s (${url}: ${last}); last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
}

/** Waits until the process has printed `marker` to its log (how a pod says it is listening). */
export async function waitLogged(proc: Supervised, marker: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (logTail(proc.logPath, 50).includes(marker)) return;
    if (!proc.running()) throw new HarnessError(`${proc.name} exited during start; last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new HarnessError(`${proc.name} did not print "${marker}" within ${timeoutMs / 1000}s; last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
}
