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
      if (stream !== process.stderr) failedOutput(e);
      process.exit(1);
    });
  }
}

function failedOutput(e: NodeJS.ErrnoException): void {
  const full = e.code === 'ENOSPC' || e.code === 'EFBIG' || e.code === 'EDQUOT';
  if (!process.stderr.destroyed) process.stderr.write(`rnnkit: cannot write the output${full ? ': the disk is full; free some space or' : ';'} write it elsewhere\n`);
}

/**
 * Ends the process if stdout has failed: quietly when its reader has gone, with one line otherwise.
 * A failed write marks the stream at once but reports the error on a later tick, which a synchronous
 * loop (sampling) would never reach: it would go on computing, queueing one error per character.
 */
function endIfOutputFailed(): void {
  const failed = process.stdout.errored as NodeJS.ErrnoException | null;
  if (!failed && !process.stdout.destroyed) return;
  if (!failed || failed.code === 'EPIPE') process.exit(0);
  failedOutput(failed);
  process.exit(1);
}

/** Writes to stdout, and ends the process if the reader has gone (see endIfOutputFailed). */
export function writeOut(s: string): void {
  endIfOutputFailed();
  process.stdout.write(s);
  endIfOutputFailed();
}
