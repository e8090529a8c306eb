import type { ProgressListener } from '../import-export/index.ts';

const SHOW_FROM_FILES = 200;

/** A progress line on stderr for long runs: rewritten in place on a terminal, every 10% otherwise. */
export function progressLine(verb: string): ProgressListener {
  let lastShownPercent = -1;
  return (done, total) => {
    if (total < SHOW_FROM_FILES) return;
    const percent = Math.floor((done / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(
        `\r${verb} ${done}/${total} files (${percent}%)${done === total ? '\n' : ''}`,
      );
    } else if (percent >= lastShownPercent + 10 || done === total) {
      lastShownPercent = percent;
      process.stderr.write(`${verb} ${done}/${total} files (${percent}%)\n`);
    }
  };
}
