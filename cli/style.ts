/**
 * Colours and progress for the terminal.
 *
 * Colours (node:util styleText) only where a person reads: on a TTY, unless
 * NO_COLOR is set (https://no-color.org: any non-empty value) or TERM is
 * `dumb`; FORCE_COLOR forces them on (`0`/`false`: off) whatever the stream.
 *
 * Progress: each long phase (the probe, the conversations, a suite's
 * sections) reports `done/total`; the line gets an ETA from the rate so
 * far in that phase. On a TTY it is one line redrawn in place (on stderr);
 * elsewhere (CI logs) a plain line per step.
 */
import { styleText } from 'node:util';

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'bold' | 'dim';

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** A painter: `paint('red', 'FAIL')`, the text itself when colours are off. */
export type Paint = (c: Colour, s: string) => string;

export function painter(on: boolean): Paint {
  return on ? (c, s) => styleText(c, s) : (_c, s) => s;
}

/** `1m05s`, `42s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** What a progress display writes to. */
export interface ProgressSink {
  /** A line that stays. */
  line(s: string): void;
  /** On a terminal: the line redrawn in place (absent: plain lines). */
  redraw?(s: string): void;
}

/**
 * Progress of one run: phases of known size, each step with an ETA for the
 * phase. `now` is injectable for tests.
 */
export class Progress {
  private phase = '';
  private total = 0;
  private t0 = 0;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Start a phase of `total` steps. */
  start(phase: string, total: number): void {
    this.settle();
    this.phase = phase;
    this.total = total;
    this.t0 = this.now();
  }

  /** ETA text for `done` of the phase's steps: undefined before the first one. */
  eta(done: number): string | undefined {
    if (done <= 0 || this.total <= 0) return undefined;
    const per = (this.now() - this.t0) / done;
    return duration(per * Math.max(0, this.total - done));
  }

  /** Step `done` of the phase, with what it was. */
  step(done: number, text: string, total = this.total): void {
    if (total !== this.total) this.total = total;
    const eta = this.eta(done);
    const head = `[${this.phase} ${done}/${this.total}${eta !== undefined && done < this.total ? `, ETA ${eta}` : ''}]`;
    if (this.sink.redraw) {
      const w = 30;
      const n = Math.round((Math.min(done, this.total) / Math.max(this.total, 1)) * w);
      this.sink.redraw(`${head} [${'#'.repeat(n)}${'.'.repeat(w - n)}] ${text}`);
      this.drawn = true;
    } else this.sink.line(`${head} ${text}`);
  }

  /** A line that is not a step (kept above the redrawn line). */
  note(text: string): void {
    this.settle();
    this.sink.line(text);
  }

  /** End the redrawn line so the next output starts on its own line. */
  settle(): void {
    if (this.drawn && this.sink.redraw) this.sink.redraw('');
    this.drawn = false;
  }
}

/** A sink on stderr: redrawn in place on a TTY, plain lines otherwise. */
export function stderrSink(tty: boolean, write: (s: string) => void): ProgressSink {
  if (!tty) return { line: (s) => write(`${s}\n`) };
  const cols = () => Math.max(40, (process.stderr.columns ?? 100) - 1);
  return {
    line: (s) => write(`\r\x1b[K${s}\n`),
    redraw: (s) => write(`\r\x1b[K${s.slice(0, cols())}`),
  };
}

/**
 * Feed the fuzz pipeline's progress lines into a Progress: `[probe i/n] ...`
 * and `[i/n] ...` lines are steps (the probe, then the conversations), the
 * rest notes.
 */
export function fuzzProgress(p: Progress, prefix = ''): (line: string) => void {
  let phase = '';
  return (l) => {
    const probe = /^\[probe (\d+)\/(\d+)\] (.*)$/.exec(l);
    const conv = /^\[(\d+)\/(\d+)\] (.*)$/.exec(l);
    const m = probe ?? conv;
    if (!m) {
      p.note(`${prefix}${l}`);
      return;
    }
    const name = `${prefix}${probe ? 'probe' : 'conversations'}`;
    const done = Number(m[1]);
    const total = Number(m[2]);
    if (phase !== name || done === 1) {
      phase = name;
      p.start(name, total);
    }
    p.step(done, m[3]!, total);
  };
}
