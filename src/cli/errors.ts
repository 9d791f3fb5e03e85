/** An error meant for the person at the terminal: printed as one line, without a stack trace. */
export class UsageError extends Error {}

/**
 * Runs a command and turns any error into one line on stderr and exit code 1. The stack is shown
 * only with RNNKIT_DEBUG=1, for developers.
 */
export async function runCommand(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`rnnkit: ${firstLine(err?.message ?? String(e))}\n`);
    if (process.env.RNNKIT_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
