import { makeStyle, type Style, type TextStream } from '../output.js';
import type { Clock } from './clock.js';
import type { ProgressMessage } from './message.js';
import { ProgressModel, type LayerState, type ProgressEvent } from './model.js';
import type { ProgressRenderer, Spinner } from './renderer.js';
import { bar, fit, formatBytes, formatElapsed, width } from './text.js';

/**
 * Progress on a terminal. The screen has two parts: lines that scroll (build
 * steps, output, results) and, below them, a live region redrawn in place
 * with cursor movements: one line per layer with a bar, and one per spinner.
 * Redraws are throttled; `end()` leaves the final state on screen and shows
 * the cursor again.
 *
 * Escape sequences used: cursor up (`CSI n A`), carriage return, erase to
 * the end of the screen (`CSI J`), hide/show cursor (`CSI ?25 l/h`) and SGR
 * colours. Live lines are cut to the terminal width so none of them wraps
 * (a wrapped line would break the cursor-up count).
 */

const CURSOR_UP = (n: number): string => `\x1b[${n}A`;
const ERASE_DOWN = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Statuses after which a layer changes no more (it may leave the live region when space runs out). */
const FINISHED = /^(?:Pull complete|Already exists|Layer already exists|Pushed|Mounted from)/;

export interface TtyOptions {
  clock: Clock;
  color: boolean;
  /** Milliseconds between redraws at most (default 100: 10 per second). */
  frameInterval?: number;
}

interface SpinnerState {
  label: string;
  readonly start: number;
}

export class TtyRenderer implements ProgressRenderer {
  private readonly model = new ProgressModel();
  private readonly stream: TextStream;
  private readonly clock: Clock;
  private readonly style: Style;
  private readonly interval: number;
  /** Layer ids shown in the live region, in order. */
  private readonly live: string[] = [];
  private readonly spinners: SpinnerState[] = [];
  /** Lines waiting to be printed above the live region at the next frame. */
  private pending: string[] = [];
  private drawnLines = 0;
  private lastFrame = Number.NEGATIVE_INFINITY;
  private cancelFrame: (() => void) | undefined;
  private cancelTick: (() => void) | undefined;
  private cursorHidden = false;
  private ended = false;
  /** Frames drawn so far (for tests and diagnostics). */
  frames = 0;

  constructor(stream: TextStream, options: TtyOptions) {
    this.stream = stream;
    this.clock = options.clock;
    this.style = makeStyle(options.color);
    this.interval = options.frameInterval ?? 100;
  }

  get error(): ProgressRenderer['error'] {
    return this.model.error;
  }

  update(message: ProgressMessage): void {
    if (this.ended) return;
    for (const event of this.model.feed(message)) this.apply(event);
    this.requestFrame();
  }

  spinner(label: string): Spinner {
    const state: SpinnerState = { label, start: this.clock.now() };
    let done = this.ended;
    if (!done) {
      this.spinners.push(state);
      this.startTicking();
      this.requestFrame();
    }
    const finish = (line: string | undefined): void => {
      if (done) return;
      done = true;
      const at = this.spinners.indexOf(state);
      if (at >= 0) this.spinners.splice(at, 1);
      if (line !== undefined) this.pending.push(line);
      this.requestFrame();
    };
    const elapsed = (): string => this.style.dim(`(${formatElapsed(this.clock.now() - state.start)})`);
    return {
      update: (next) => {
        if (done) return;
        state.label = next;
        this.requestFrame();
      },
      succeed: (text) => finish(`${this.style.green('✔')} ${text ?? state.label} ${elapsed()}`),
      fail: (text) => finish(`${this.style.red('✖')} ${text ?? state.label} ${elapsed()}`),
      stop: () => finish(undefined),
    };
  }

  note(text: string): void {
    if (this.ended) return;
    this.freezeLayers();
    this.pending.push(text);
    this.requestFrame();
  }

  result(text: string): void {
    if (this.ended) return;
    this.freezeLayers();
    this.pending.push(text);
    this.requestFrame();
  }

  end(): void {
    if (this.ended) return;
    for (const event of this.model.finish()) this.apply(event);
    this.spinners.length = 0;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.cancelFrame?.();
    this.cancelFrame = undefined;
    if (this.pending.length > 0 || this.drawnLines > 0 || this.live.length > 0) this.draw();
    if (this.cursorHidden) this.stream.write(SHOW_CURSOR);
    this.cursorHidden = false;
    this.ended = true;
  }

  private apply(event: ProgressEvent): void {
    const s = this.style;
    if (event.kind === 'layer') {
      if (!this.live.includes(event.layer.id)) this.live.push(event.layer.id);
      return;
    }
    this.freezeLayers();
    switch (event.kind) {
      case 'step':
        this.pending.push(s.bold(event.text));
        return;
      case 'output':
        this.pending.push(event.stderr ? `  ${s.red(event.text)}` : s.dim(`  ${event.text}`));
        return;
      case 'status':
        this.pending.push(event.text);
        return;
      case 'result':
        this.pending.push(s.green(event.text));
        return;
      case 'error':
        this.pending.push(`${s.red(s.bold('error:'))} ${event.message}`);
        return;
    }
  }

  /**
   * Lines that follow layers go below them: the layers' current lines become
   * part of the scrolling text (a layer that changes again later gets a new
   * live line).
   */
  private freezeLayers(): void {
    if (this.live.length === 0) return;
    const max = Math.max(20, this.stream.columns ?? 80) - 1;
    for (const id of this.live.splice(0)) {
      const layer = this.model.layers.get(id);
      if (layer) this.pending.push(this.layerLine(layer, max));
    }
  }

  /** Draws now if the last frame is old enough, else once the interval has passed. */
  private requestFrame(): void {
    if (this.ended || this.cancelFrame !== undefined) return;
    const wait = this.lastFrame + this.interval - this.clock.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.cancelFrame = this.clock.schedule(() => {
      this.cancelFrame = undefined;
      this.draw();
    }, wait);
  }

  /** Animates spinners: a frame per interval while any spinner runs. */
  private startTicking(): void {
    if (this.cancelTick !== undefined) return;
    const tick = (): void => {
      this.cancelTick = undefined;
      if (this.ended || this.spinners.length === 0) return;
      this.requestFrame();
      this.cancelTick = this.clock.schedule(tick, this.interval);
    };
    this.cancelTick = this.clock.schedule(tick, this.interval);
  }

  private draw(): void {
    const columns = Math.max(20, this.stream.columns ?? 80);
    this.retireIfCrowded();
    let out = this.cursorHidden ? '' : HIDE_CURSOR;
    this.cursorHidden = true;
    // back to the top of the live region, and clear it and everything below
    if (this.drawnLines > 0) out += CURSOR_UP(this.drawnLines);
    out += `\r${ERASE_DOWN}`;
    for (const line of this.pending) out += `${line}\n`;
    this.pending = [];
    const lines = this.liveLines(columns - 1);
    for (const line of lines) out += `${line}\n`;
    this.drawnLines = lines.length;
    this.lastFrame = this.clock.now();
    this.frames++;
    this.stream.write(out);
  }

  /**
   * Keeps the live region on the screen: when it would not fit, finished
   * layers leave it and are printed once above it.
   */
  private retireIfCrowded(): void {
    const room = this.layerRoom();
    while (this.live.length > room) {
      const at = this.live.findIndex((id) => FINISHED.test(this.model.layers.get(id)?.status ?? ''));
      if (at < 0) break;
      const [id] = this.live.splice(at, 1);
      const layer = id === undefined ? undefined : this.model.layers.get(id);
      if (layer) this.pending.push(this.layerLine(layer, Math.max(20, this.stream.columns ?? 80) - 1));
    }
  }

  /** How many layer lines fit on the screen under the spinners (unlimited when its height is unknown). */
  private layerRoom(): number {
    const rows = this.stream.rows;
    return rows === undefined ? Number.POSITIVE_INFINITY : Math.max(2, rows - 2 - this.spinners.length);
  }

  private liveLines(max: number): string[] {
    const lines: string[] = [];
    const room = this.layerRoom();
    // what does not fit is summed up in one line
    const shown = this.live.length > room ? this.live.slice(0, room - 1) : this.live;
    for (const id of shown) {
      const layer = this.model.layers.get(id);
      if (layer) lines.push(this.layerLine(layer, max));
    }
    if (shown.length < this.live.length) lines.push(this.style.dim(fit(`… ${this.live.length - shown.length} more`, max)));
    const now = this.clock.now();
    for (const sp of this.spinners) {
      const elapsed = now - sp.start;
      const frame = SPINNER_FRAMES[Math.floor(elapsed / this.interval) % SPINNER_FRAMES.length] ?? '-';
      const time = ` (${formatElapsed(elapsed)})`;
      const label = fit(sp.label, Math.max(1, max - 2 - time.length));
      lines.push(`${this.style.cyan(frame)} ${label}${this.style.dim(time)}`);
    }
    return lines;
  }

  /** `id: Status [====>    ] 1.2MB/3.4MB`, styled, within `max` columns. */
  private layerLine(layer: LayerState, max: number): string {
    const head = `${layer.id}: ${layer.status}`;
    let counts = '';
    if (!layer.hideCounts && layer.current !== undefined) {
      const fmt = (n: number): string => (layer.units !== undefined ? `${n}` : formatBytes(n));
      counts = layer.total !== undefined ? `${fmt(layer.current)}/${fmt(layer.total)}` : fmt(layer.current);
      if (layer.units !== undefined) counts += ` ${layer.units}`;
    }
    const barWidth = Math.min(30, max - width(head) - width(counts) - 6);
    const showBar = layer.total !== undefined && layer.current !== undefined && !layer.hideCounts && barWidth >= 10;
    if (!showBar) {
      const text = counts === '' ? head : `${head} ${counts}`;
      return this.colourLayer(layer, fit(text, max), head.length);
    }
    const plainBar = bar(layer.current ?? 0, layer.total ?? 0, barWidth);
    return `${this.colourLayer(layer, head, head.length)} ${this.style.cyan(plainBar)} ${counts}`;
  }

  private colourLayer(layer: LayerState, text: string, headLength: number): string {
    if (!this.style.enabled) return text;
    const idLength = layer.id.length + 1;
    const id = text.slice(0, Math.min(idLength, text.length));
    const rest = text.slice(id.length);
    const done = FINISHED.test(layer.status);
    const status = rest.slice(0, Math.max(0, headLength - id.length));
    const after = rest.slice(status.length);
    return `${this.style.dim(id)}${done ? this.style.green(status) : status}${after}`;
  }
}
