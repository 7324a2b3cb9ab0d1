import type { ProgressMessage } from './message.js';
import { sanitize } from './text.js';

/**
 * The meaning of a progress stream, independent of how it is shown: layers
 * and their states, build steps, output lines, results and the error. The
 * renderers feed messages in and draw the events that come out.
 */

/** What one id (a layer, or the tag being pulled) is doing. */
export interface LayerState {
  readonly id: string;
  status: string;
  current: number | undefined;
  total: number | undefined;
  units: string | undefined;
  hideCounts: boolean;
}

export type ProgressEvent =
  /** A layer's state changed; `statusChanged` is false for a byte count update. */
  | { readonly kind: 'layer'; readonly layer: LayerState; readonly statusChanged: boolean }
  /** A build step: `Step 2/5 : RUN make` (docker) or `STEP 2/5: RUN make` (podman). */
  | { readonly kind: 'step'; readonly text: string }
  /** A line of build output (RUN output, builder remarks); `stderr` when the engine marked it so. */
  | { readonly kind: 'output'; readonly text: string; readonly stderr: boolean }
  /** A status line about no particular layer. */
  | { readonly kind: 'status'; readonly text: string }
  /** A final result: `Digest: …`, `Status: Downloaded newer image …`, `Successfully built …`. */
  | { readonly kind: 'result'; readonly text: string }
  /** The stream failed; `code` is the engine's (a RUN's exit code in classic builds). */
  | { readonly kind: 'error'; readonly message: string; readonly code: number | undefined };

const STEP = /^(?:Step \d+\/\d+ : |STEP \d+\/\d+: )/;
const RESULT_LINE = /^(?:Successfully built |Successfully tagged |sha256:[0-9a-f]{64}$)/;
const RESULT_STATUS = /^(?:Digest: |Status: )/;
/** The classic builder wraps a RUN's stderr in this colour, and resets after it. */
const STDERR_ON = '\x1b[91m';
const STDERR_OFF = '\x1b[0m';
const STDERR_MARKERS = /(\x1b\[91m|\x1b\[0m)/;

export class ProgressModel {
  /** Layers by id, in the order they first appeared. */
  readonly layers = new Map<string, LayerState>();
  /** The image id from `aux.ID`, when the stream carried one. */
  imageId: string | undefined;
  error: { message: string; code: number | undefined } | undefined;
  private partial = '';
  private inStderr = false;
  private builtLine = false;

  /** Interprets one message. */
  feed(m: ProgressMessage): ProgressEvent[] {
    const events: ProgressEvent[] = [];
    if (m.errorDetail !== undefined || (m.error !== undefined && m.error !== '')) {
      const message = sanitize(m.errorDetail?.message ?? m.error ?? 'unknown error');
      const code = m.errorDetail?.code;
      this.error ??= { message, code };
      events.push(...this.flush(), { kind: 'error', message, code });
      return events;
    }
    if (typeof m.stream === 'string') events.push(...this.streamText(m.stream));
    if (typeof m.status === 'string') events.push(...this.status(m));
    const aux = m.aux;
    if (typeof aux === 'object' && aux !== null && !Array.isArray(aux) && m.id !== 'moby.buildkit.trace') {
      const id = (aux as { readonly ID?: unknown }).ID;
      if (typeof id === 'string' && id !== '') this.imageId = id;
    }
    return events;
  }

  /** Flushes a last line without a newline, and names the image when no result line did. */
  finish(): ProgressEvent[] {
    const events = this.flush();
    if (this.imageId !== undefined && !this.builtLine && this.error === undefined) {
      this.builtLine = true;
      events.push({ kind: 'result', text: `image ${this.imageId}` });
    }
    return events;
  }

  private status(m: ProgressMessage): ProgressEvent[] {
    const text = sanitize(m.status ?? '');
    if (m.id === undefined || m.id === '') {
      if (text === '') return [];
      return [{ kind: RESULT_STATUS.test(text) ? 'result' : 'status', text }];
    }
    const id = sanitize(m.id);
    const detail = m.progressDetail;
    let layer = this.layers.get(id);
    const statusChanged = layer === undefined || layer.status !== text;
    if (!layer) {
      layer = { id, status: text, current: undefined, total: undefined, units: undefined, hideCounts: false };
      this.layers.set(id, layer);
    }
    layer.status = text;
    const current = typeof detail?.current === 'number' && Number.isFinite(detail.current) ? detail.current : undefined;
    const total = typeof detail?.total === 'number' && Number.isFinite(detail.total) && detail.total > 0 ? detail.total : undefined;
    if (statusChanged || current !== undefined) {
      layer.current = current;
      layer.total = total ?? (statusChanged ? undefined : layer.total);
      layer.units = detail?.units;
      layer.hideCounts = detail?.hidecounts === true;
    }
    return [{ kind: 'layer', layer, statusChanged }];
  }

  private streamText(text: string): ProgressEvent[] {
    const all = this.partial + text;
    const parts = all.split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((raw) => this.line(raw)).filter((e): e is ProgressEvent => e !== undefined);
  }

  private flush(): ProgressEvent[] {
    if (this.partial === '') return [];
    const event = this.line(this.partial);
    this.partial = '';
    return event ? [event] : [];
  }

  private line(raw: string): ProgressEvent | undefined {
    let stderr = false;
    let marked = false;
    for (const piece of raw.split(STDERR_MARKERS)) {
      if (piece === STDERR_ON || piece === STDERR_OFF) {
        this.inStderr = piece === STDERR_ON;
        marked = true;
      } else if (this.inStderr && sanitize(piece) !== '') {
        stderr = true;
      }
    }
    const text = sanitize(raw);
    if (marked && text === '') return undefined; // only the colour switch, no text
    if (!stderr && STEP.test(text)) return { kind: 'step', text };
    if (!stderr && RESULT_LINE.test(text)) {
      if (text.startsWith('Successfully built ') || text.startsWith('sha256:')) this.builtLine = true;
      return { kind: 'result', text };
    }
    return { kind: 'output', text, stderr };
  }
}
