import type { Logger } from './logger.js';

/**
 * Upload progress. On a terminal (stderr is a TTY and CI is unset): a live bar per upload with bytes, rate and ETA,
 * all bars of a run redrawn together in one block. In CI and pipes: a structured progress log line every few seconds,
 * which a log viewer can follow and which never floods a job log. Every cloud step hands `update` to its SDK's
 * progress callback (ObjectStore.upload's onProgress for the store) and calls `done` when the upload ends.
 */
export interface Progress {
  /** Bytes sent so far; cheap to call on every chunk, output is throttled. */
  update(sentBytes: number): void;
  /** The upload ended (finished or failed): the last figures are shown once more and the bar is released. */
  done(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  /** A terminal's width: bars fit in it. */
  columns?: number;
  write(text: string): unknown;
  /** A terminal says `resize` when its width changes: the bars are drawn again to fit. */
  on?(event: 'resize', listener: () => void): unknown;
}

export interface ProgressOptions {
  /** Where bars are drawn; default process.stderr. */
  stream?: ProgressStream;
  /** Live bars instead of log lines; default: the stream is a TTY and CI is unset. */
  interactive?: boolean;
  /** Milliseconds since some fixed point; default performance.now. */
  now?: () => number;
  /** Least time between two outputs: default 100 ms for bars, 5 s for log lines. */
  intervalMs?: number;
}

const BAR_INTERVAL_MS = 100;
const LOG_INTERVAL_MS = 5_000;
const BAR_WIDTH = 24;
/** On a terminal of known width the bar takes what the figures leave, within these bounds. */
const MIN_BAR_WIDTH = 8;
const MAX_BAR_WIDTH = 40;

export function createProgress(log: Logger, label: string, totalBytes: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const interactive = options.interactive ?? (stream.isTTY === true && !process.env.CI);
  const meter = new Meter(totalBytes, now());
  if (interactive) return boardFor(stream, now, options.intervalMs ?? BAR_INTERVAL_MS).add(label, meter);

  const interval = options.intervalMs ?? LOG_INTERVAL_MS;
  let lastLine = meter.started;
  const line = (message: string) => {
    const figures = meter.figures(now());
    log.info({ progress: label, ...figures }, `${label}: ${message}`);
  };
  return {
    update(sentBytes) {
      meter.sent = sentBytes;
      const at = now();
      if (at - lastLine < interval) return;
      lastLine = at;
      line(describe(meter, at));
    },
    done() {
      line(`${formatBytes(meter.sent)} in ${formatDuration((now() - meter.started) / 1000)}`);
    },
  };
}

/** Bytes sent against time, and what follows from it. */
class Meter {
  sent = 0;
  constructor(
    readonly total: number,
    readonly started: number,
  ) {}

  figures(at: number): { sentBytes: number; totalBytes: number; percent: number; bytesPerSecond: number; etaSeconds?: number } {
    const seconds = (at - this.started) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.round(this.sent / seconds) : 0;
    const percent = this.total > 0 ? Math.floor((this.sent / this.total) * 100) : 100;
    const etaSeconds = bytesPerSecond > 0 ? Math.ceil((this.total - this.sent) / bytesPerSecond) : undefined;
    return { sentBytes: this.sent, totalBytes: this.total, percent, bytesPerSecond, ...(etaSeconds === undefined ? {} : { etaSeconds }) };
  }
}

/** `45% of 2.5 GiB, 85.3 MiB/s, ETA 0:17` */
function describe(meter: Meter, at: number): string {
  const { percent, bytesPerSecond, etaSeconds } = meter.figures(at);
  return `${percent}% of ${formatBytes(meter.total)}, ${formatBytes(bytesPerSecond)}/s, ETA ${eta(etaSeconds)}`;
}

/**
 * `qemu raw image [##########..............]  45%  1.1 GiB / 2.5 GiB  85.3 MiB/s  ETA 0:17`. Given the terminal's
 * `columns`, the line fits in it (one column spare, so it never wraps): the bar shrinks, and on a very narrow
 * terminal the bar and the byte counts give way to `45% ETA 0:17 label`.
 */
export function formatBar(label: string, sentBytes: number, totalBytes: number, bytesPerSecond: number, etaSeconds: number | undefined, columns?: number): string {
  const fraction = totalBytes > 0 ? Math.min(1, sentBytes / totalBytes) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const figures = `${percent}  ${formatBytes(sentBytes)} / ${formatBytes(totalBytes)}  ${formatBytes(bytesPerSecond)}/s  ETA ${eta(etaSeconds)}`;
  const room = columns === undefined ? BAR_WIDTH : Math.min(MAX_BAR_WIDTH, columns - 1 - `${label} [] ${figures}`.length);
  // The figures first, so that a cut takes the end of the label rather than them.
  if (room < MIN_BAR_WIDTH) return `${percent.trim()} ETA ${eta(etaSeconds)} ${label}`.slice(0, Math.max(1, columns! - 1));
  const filled = Math.round(fraction * room);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(room - filled)}] ${figures}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `0:07`, `12:30`, `1:02:03` */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function eta(seconds: number | undefined): string {
  return seconds === undefined ? '--:--' : formatDuration(seconds);
}

/**
 * The bars of one terminal: the uploads of a run (several clouds at once) share one block of lines, redrawn in place
 * at most every `interval` ms. A finished bar stays, the block is released when the last bar is done.
 */
class Board {
  private readonly bars: { label: string; meter: Meter; finished: boolean }[] = [];
  private drawnLines = 0;
  private lastDraw = -Infinity;
  /** The width changed since the last draw: the old block is cleared, not just overwritten. */
  private resized = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number,
    private readonly interval: number,
  ) {
    stream.on?.('resize', () => {
      this.resized = true;
      if (this.bars.length > 0) this.draw(true);
    });
  }

  add(label: string, meter: Meter): Progress {
    const bar = { label, meter, finished: false };
    this.bars.push(bar);
    this.draw(true);
    return {
      update: (sentBytes) => {
        bar.meter.sent = sentBytes;
        this.draw(false);
      },
      done: () => {
        bar.finished = true;
        this.draw(true);
        if (this.bars.every((each) => each.finished)) {
          this.bars.length = 0;
          this.drawnLines = 0;
        }
      },
    };
  }

  /** A log line goes above the bars: clear the block, write the line, draw the bars again below it. */
  writeAbove(text: string): void {
    const clear = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.stream.write(`${clear}${text}`);
    this.drawnLines = 0;
    if (this.bars.length > 0) this.draw(true);
  }

  private draw(force: boolean): void {
    const at = this.now();
    if (!force && at - this.lastDraw < this.interval) return;
    this.lastDraw = at;
    const width = Math.max(...this.bars.map((bar) => bar.label.length));
    const lines = this.bars.map(({ label, meter }) => {
      const { bytesPerSecond, etaSeconds } = meter.figures(at);
      return `\x1b[2K${formatBar(label.padEnd(width), meter.sent, meter.total, bytesPerSecond, etaSeconds, this.stream.columns)}\n`;
    });
    // Back to the top of the block (clearing below it after a resize), then every bar again.
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A${this.resized ? '\x1b[0J' : ''}` : '';
    this.resized = false;
    this.stream.write(`${up}${lines.join('')}`);
    this.drawnLines = lines.length;
  }
}

const boards = new WeakMap<ProgressStream, Board>();

function boardFor(stream: ProgressStream, now: () => number, interval: number): Board {
  let board = boards.get(stream);
  if (!board) {
    board = new Board(stream, now, interval);
    boards.set(stream, board);
  }
  return board;
}

/**
 * How the terminal logger writes: a log line printed while bars are live would otherwise land inside the block the
 * bars redraw, and be overwritten.
 */
export function writeAboveProgress(stream: ProgressStream, text: string): void {
  const board = boards.get(stream);
  if (board) board.writeAbove(text);
  else stream.write(text);
}
