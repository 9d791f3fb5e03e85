/*
 * A reader that goes away (`rnnkit sample | head -c 100`) ends the command at once and quietly, with
 * exit code 0, as `yes | head` ends: no stack trace, and no more computing for nobody.
 */

let installed = false;

/** Installs the handlers that end the process when stdout or stderr is closed under it. */
export function endQuietlyWhenOutputCloses(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      // another failure to write (a full disk under a redirect): say so once, where it can still be seen
      if (stream !== process.stderr && !process.stderr.destroyed) {
        process.stderr.write(`rnnkit: cannot write the output (${e.code ?? 'error'}): free some space or write it elsewhere\n`);
      }
      process.exit(1);
    });
  }
}

/**
 * Writes to stdout and ends the process if the reader has gone. A synchronous loop (sampling) would
 * otherwise only see the pipe's 'error' event after it finished its whole length.
 */
export function writeOut(s: string): void {
  if (process.stdout.destroyed) process.exit(0);
  process.stdout.write(s);
  if (process.stdout.destroyed) process.exit(0);
}
