// A reader that goes away early (`mcsync doctor | head -1`) closes the pipe under stdout. Node
// ignores SIGPIPE, so the next write fails with EPIPE, an 'error' event nobody listens to
// becomes an uncaught exception with a stack trace, and pending connections could keep the
// process alive long after. Unix tools end quietly there instead; so does mcsync.
import { EXIT } from './io.ts';

interface Output {
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/**
 * Ends the process with EXIT.closedOutput (141, what a shell reports for a tool ended by
 * SIGPIPE) when stdout's reader is gone, and stops writing to stderr when its reader is gone
 * (there is no one left to tell). Other write errors are real failures and still surface.
 */
export function endOnClosedOutput(stdout: Output, stderr: Output, exit: (code: number) => void = (c) => process.exit(c)): void {
  stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    exit(EXIT.closedOutput);
  });
  stderr.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
