/** A progress display for long steps: a redrawn bar on a terminal, plain lines otherwise (logs, CI). */
export interface Progress {
  /** Fraction done, 0..1, of the current step. */
  update(fraction: number): void;
  /** Ends the current step's display. */
  done(): void;
}

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY;
  let lastDraw = 0;
  let lastStep = -1;
  let lastFraction = 0;
  const draw = (fraction: number) => {
    const filled = Math.round(fraction * BAR_WIDTH);
    const percent = `${Math.floor(fraction * 100)}`.padStart(3);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}%`);
  };
  return {
    update(fraction) {
      const f = Math.max(0, Math.min(1, fraction));
      lastFraction = f;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < REDRAW_MS && f < 1) return;
        lastDraw = now;
        draw(f);
        return;
      }
      // Without a terminal: one line per 10 %, so a log shows the pace without a flood.
      const step = Math.floor(f * 10);
      if (step > lastStep) {
        lastStep = step;
        stream.write(`${label}: ${step * 10}%\n`);
      }
    },
    done() {
      if (tty) {
        draw(Math.max(lastFraction, 1));
        stream.write('\n');
      } else if (lastStep < 10) stream.write(`${label}: 100%\n`);
    },
  };
}
