// Where a command's output goes and how it ends: stdout for data, stderr for errors, and the
// process exit code. Commands take an Io so tests can capture all three.

/** Exit codes: 0 done, 1 some cluster failed (others were still synced), 2 bad config or unreachable cluster (nothing written). */
export const EXIT = { ok: 0, partial: 1, config: 2 } as const;

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
