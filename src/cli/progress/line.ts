import type { TextStream } from '../output.js';
import type { Clock } from './clock.js';
import type { ProgressMessage } from './message.js';
import { ProgressModel, type LayerState, type ProgressEvent } from './model.js';
import type { ProgressRenderer, Spinner } from './renderer.js';
import { formatBytes, formatElapsed } from './text.js';

/**
 * Line output for logs, pipes and `--plain`: one line per status change of
 * each layer, build output as it comes, no escape sequences. Quiet keeps
 * only errors and final results.
 */
export class LineRenderer implements ProgressRenderer {
  private readonly model = new ProgressModel();
  private readonly stream: TextStream;
  private readonly clock: Clock;
  private readonly quiet: boolean;
  private ended = false;

  constructor(stream: TextStream, options: { clock: Clock; quiet: boolean }) {
    this.stream = stream;
    this.clock = options.clock;
    this.quiet = options.quiet;
  }

  get error(): ProgressRenderer['error'] {
    return this.model.error;
  }

  update(message: ProgressMessage): void {
    if (this.ended) return;
    for (const event of this.model.feed(message)) this.show(event);
  }

  spinner(label: string): Spinner {
    const start = this.clock.now();
    let current = label;
    let done = this.ended;
    this.say(`${current}…`);
    const finish = (text: string | undefined, outcome: string, always: boolean): void => {
      if (done) return;
      done = true;
      const line = `${text ?? current}: ${outcome} (${formatElapsed(this.clock.now() - start)})`;
      if (always) this.write(line);
      else this.say(line);
    };
    return {
      update: (next) => {
        if (done || next === current) return;
        current = next;
        this.say(`${current}…`);
      },
      succeed: (text) => finish(text, 'done', false),
      fail: (text) => finish(text, 'failed', true),
      stop: () => { done = true; },
    };
  }

  note(text: string): void {
    if (!this.ended) this.say(text);
  }

  result(text: string): void {
    if (!this.ended) this.write(text);
  }

  end(): void {
    if (this.ended) return;
    for (const event of this.model.finish()) this.show(event);
    this.ended = true;
  }

  private show(event: ProgressEvent): void {
    switch (event.kind) {
      case 'layer':
        if (event.statusChanged) this.say(layerLine(event.layer));
        return;
      case 'step':
      case 'status':
        this.say(event.text);
        return;
      case 'output':
        this.say(event.text);
        return;
      case 'result':
        this.write(event.text);
        return;
      case 'error':
        this.write(`error: ${event.message}`);
        return;
    }
  }

  /** Written unless quiet. */
  private say(line: string): void {
    if (!this.quiet) this.write(line);
  }

  private write(line: string): void {
    this.stream.write(`${line}\n`);
  }
}

function layerLine(layer: LayerState): string {
  const size = layer.total !== undefined && !layer.hideCounts
    ? ` (${layer.units !== undefined ? `${layer.total} ${layer.units}` : formatBytes(layer.total)})`
    : '';
  return `${layer.id}: ${layer.status}${size}`;
}
