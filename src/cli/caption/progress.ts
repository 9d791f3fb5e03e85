import cliProgress from 'cli-progress';

/** A progress bar on a terminal; without one, a plain line at every tenth of the way. Lines can be printed above it. */
export interface Progress {
  update(done: number, info?: string): void;
  log(line: string): void;
  stop(): void;
}

export function progress(total: number, label: string, write: (s: string) => void = (s) => process.stderr.write(s)): Progress {
  if (process.stderr.isTTY) {
    const multi = new cliProgress.MultiBar({
      format: `${label} {value}/{total} |{bar}| {info} ETA {eta_formatted}`,
      barCompleteChar: '█', barIncompleteChar: '░', barsize: 24, hideCursor: true, clearOnComplete: true, fps: 5, stream: process.stderr,
    });
    const bar = multi.create(total, 0, { info: '' });
    return {
      update: (done, info = '') => bar.update(done, { info }),
      log: (line) => multi.log(`${line}\n`),
      stop: () => multi.stop(),
    };
  }
  let shown = 0;
  return {
    update(done, info = '') {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (tenth > shown || done === total) {
        shown = tenth;
        write(`${label} ${done}/${total}${info ? ` ${info}` : ''}\n`);
      }
      if (done === total) shown = 11;
    },
    log: (line) => write(`${line}\n`),
    stop() {},
  };
}
