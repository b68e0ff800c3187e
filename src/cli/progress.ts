import cliProgress, { type Options, type Params } from 'cli-progress';

// A CommonJS module: its members through the default export (Node's ESM loader sees no named ones).
const { Format, SingleBar } = cliProgress;

/** A progress bar on stderr, or nothing: every long command reports to one of these. */
export interface CliProgress {
  /** How far the work is; `total` when it became known (or changed). */
  update(value: number, total?: number): void;
  /** A line for stderr (a refused line, a warning), written above the bar rather than into it. */
  note(text: string): void;
  /** The work ended (or failed): the bar's last state stays on its line. */
  stop(): void;
}

export interface ProgressOptions {
  /** What the bar counts, e.g. `lines`; `bytes` shows values in MB. */
  readonly unit: string;
  /** The end value when known at the start; 0 or absent shows a count with no bar. */
  readonly total?: number | undefined;
  /** `--quiet` or `--json`: output read by a program, no bar. */
  readonly quiet?: boolean | undefined;
  /** Where the bar would go (tests); process.stderr by default. */
  readonly stream?: NodeJS.WriteStream | undefined;
}

function silent(stream: NodeJS.WriteStream): CliProgress {
  return { update: () => {}, note: (text) => void stream.write(text), stop: () => {} };
}

/**
 * A progress bar for long CLI work (`report`, `publish`, `export`, `audit`, `evidence`), drawn by
 * cli-progress on stderr, so stdout stays the command's output, and only when stderr is a
 * terminal: piped or redirected to a file, and under `--quiet`/`--json`, nothing is written, not
 * even an escape code. The work below src/cli/ reports through a plain callback.
 */
export function startProgress(label: string, options: ProgressOptions): CliProgress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !stream.isTTY) return silent(stream);
  const bar = new SingleBar({
    stream,
    format: (opts, params) => formatLine(label, options.unit, opts, params),
    hideCursor: true,
    etaBuffer: 50,
    fps: 8,
    // Redrawn every frame, so a note written over it is drawn over again at once.
    forceRedraw: true,
  });
  bar.start(options.total ?? 0, 0);
  let stopped = false;
  return {
    update: (value, total) => {
      if (total !== undefined) bar.setTotal(total);
      bar.update(value);
    },
    note: (text) => {
      if (stopped) stream.write(text);
      // CR and erase line (ECMA-48 EL 2), the note in the bar's place, then DECSC: the bar saved the
      // cursor's place when it started and goes back there when it stops, which is now below the note.
      else stream.write(`\r\x1b[2K${text}\x1b7`);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/**
 * Runs `work` with a bar, stopping the bar before the command writes anything else (its
 * summary, or the error line), whatever the work's outcome.
 */
export async function withProgress<T>(label: string, options: ProgressOptions, work: (progress: CliProgress) => Promise<T>): Promise<T> {
  const progress = startProgress(label, options);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

function formatLine(label: string, unit: string, opts: Options, params: Params): string {
  const value = amount(params.value, unit);
  if (params.total <= 0) return `${label} ${value} ${unit === 'bytes' ? '' : unit}`.trimEnd();
  const percent = `${Math.floor(params.progress * 100)}%`.padStart(4);
  const eta = params.progress > 0 && params.progress < 1 && Number.isFinite(params.eta) ? ` | ETA ${params.eta}s` : '';
  return `${label} [${Format.BarFormat(params.progress, opts)}] ${percent} | ${value}/${amount(params.total, unit)} ${unit === 'bytes' ? '' : unit}${eta}`.replace(/ +\|/g, ' |').trimEnd();
}

function amount(n: number, unit: string): string {
  return unit === 'bytes' ? `${(n / 1e6).toFixed(1)} MB` : n.toLocaleString('en-US');
}
