// Where a command's output goes and how it ends: stdout for data, stderr for errors, and the
// process exit code. Commands take an Io so tests can capture all three.

/**
 * Exit codes: 0 done, 1 some cluster failed (others were still synced), 2 bad config or
 * unreachable cluster (nothing written), 64 usage error (sysexits' EX_USAGE: a typo on the
 * command line, before anything is read), 141 stdout's reader went away (as a shell reports a
 * tool ended by SIGPIPE).
 */
export const EXIT = { ok: 0, partial: 1, config: 2, usage: 64, closedOutput: 141 } as const;

/** A command line mcsync cannot act on (a value out of range, a missing --config): exit 64, the message on stderr. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  setExitCode: (code: number) => void;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  setExitCode: (c) => (process.exitCode = c),
};
