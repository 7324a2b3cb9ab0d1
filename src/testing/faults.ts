import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Exchange, FixtureFault } from './fixture.js';

/**
 * The faults the replay server injects instead of (or into) a recorded
 * answer: what a crashing, stalling, lying or hostile engine does to a
 * client. See {@link FixtureFault} for the kinds and their options.
 */

/** What a fault reports back to the server: bytes written for the answer, so far. */
export interface FaultProgress {
  bytesSent: number;
}

const HOP_BY_HOP = new Set(['transfer-encoding', 'content-length', 'connection', 'keep-alive', 'date']);

/** Recorded headers without the ones the server sets itself. */
export function replayHeaders(h: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (!HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** Resets a TCP connection (RST); a unix socket cannot be reset, so it is destroyed. */
export function resetSocket(socket: Duplex): void {
  try {
    (socket as Socket).resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** A plain-text HTTP error written on a raw socket, as dockerd writes a refused attach. */
export function rawHttpError(status: number, message: string, contentType = 'application/vnd.docker.raw-stream'): string {
  return `HTTP/1.1 ${status} ${status === 599 ? 'Replay Miss' : 'Error'}\r\nContent-Type: ${contentType}\r\n\r\n${message}\r\n`;
}

/** The in-band error line or frame of an `error-mid-stream` fault. */
export function inBandError(fault: FixtureFault): Buffer {
  const message = fault.message ?? 'injected failure';
  switch (fault.format ?? 'progress') {
    case 'podman':
      // podman's compat API, once it has sent 200: its error body, on the stream
      return Buffer.from(`${JSON.stringify({ cause: message, message, response: fault.statusCode ?? 500 })}\n`);
    case 'frame': {
      const payload = Buffer.from(message, 'utf8');
      const header = Buffer.alloc(8);
      header[0] = 3;
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    }
    default:
      return Buffer.from(`${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`);
  }
}

/** 1 MiB: the default size of a `huge-headers` header. */
const HUGE_HEADER_BYTES = 1 << 20;
const PUMP_CHUNK = 64 * 1024;

/**
 * Writes `first`, then `fill` repeated, with backpressure, until the peer
 * goes away or `limit` bytes were written (then `end()` is called).
 */
async function pump(out: NodeJS.WritableStream & { destroyed: boolean; writableEnded: boolean }, first: Buffer, fill: Buffer, limit: number | undefined,
  progress: FaultProgress, end: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    out.once('close', resolve);
    out.once('error', () => resolve());
  });
  const block = fill.length === 0 ? Buffer.alloc(0) : Buffer.concat(Array.from({ length: Math.max(1, Math.floor(PUMP_CHUNK / fill.length)) }, () => fill));
  let next: Buffer = first;
  while (!out.destroyed && !out.writableEnded) {
    if (limit !== undefined && progress.bytesSent + next.length > limit) next = next.subarray(0, Math.max(0, limit - progress.bytesSent));
    if (next.length > 0) {
      progress.bytesSent += next.length;
      const more = out.write(next);
      if (!more) await Promise.race([new Promise<void>((resolve) => out.once('drain', resolve)), closed]);
    }
    if (limit !== undefined && progress.bytesSent >= limit) {
      end();
      return;
    }
    if (block.length === 0) {
      end();
      return;
    }
    next = block;
  }
}

/** A status line and a header of `bytes` bytes, sent without end (the client must give up on its own). */
function hugeHead(statusLine: string, fault: FixtureFault): { head: Buffer; fill: Buffer; limit: number } {
  const bytes = fault.bytes ?? HUGE_HEADER_BYTES;
  const head = Buffer.from(`${statusLine}\r\nContent-Type: ${fault.contentType ?? 'application/json'}\r\nX-Huge: `, 'latin1');
  return { head, fill: Buffer.from('a'), limit: head.length + bytes };
}

/** Injects a fault into a plain (non-upgraded) request's answer. */
export function injectFault(ex: Exchange, fault: FixtureFault, res: ServerResponse, progress: FaultProgress): void {
  const socket = res.socket;
  if (!socket) return;
  socket.on('error', () => undefined);
  const chunks = (ex.response?.chunks ?? []).map((c) => Buffer.from(c, 'base64'));
  const headers = replayHeaders(ex.response?.headers ?? {});
  const status = ex.response?.statusCode ?? 200;
  const head = (): void => {
    res.writeHead(status, headers);
    res.flushHeaders();
  };
  const write = (data: Buffer): void => {
    progress.bytesSent += data.length;
    res.write(data);
  };
  switch (fault.kind) {
    case 'close-mid-headers':
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: appl');
      socket.destroySoon();
      return;
    case 'reset':
      resetSocket(socket);
      return;
    case 'stall':
      return; // never answer; the client's timeout must fire
    case 'close-mid-body':
    case 'stall-mid-body':
      head();
      for (const c of chunks.slice(0, fault.afterChunks ?? 1)) write(c);
      if (fault.kind === 'close-mid-body') setImmediate(() => socket.destroy());
      return;
    case 'truncate': {
      head();
      const all = Buffer.concat(chunks);
      const cut = all.subarray(0, fault.bytes ?? Math.max(0, all.length - 3));
      progress.bytesSent += cut.length;
      res.end(cut);
      return;
    }
    case 'error-mid-stream':
      head();
      for (const c of chunks.slice(0, fault.afterChunks ?? 1)) write(c);
      res.end(inBandError(fault));
      return;
    case 'refuse-upgrade':
      socket.end(rawHttpError(fault.statusCode ?? 409, fault.message ?? 'injected refusal', fault.contentType));
      return;
    case 'huge-headers': {
      const { head: first, fill, limit } = hugeHead(`HTTP/1.1 ${status} OK`, fault);
      void pump(socket, first, fill, limit, progress, () => socket.end());
      return;
    }
    case 'endless-body': {
      head();
      const fill = Buffer.from(fault.fill ?? 'x', 'latin1');
      void pump(res, Buffer.from(fault.prefix ?? '', 'latin1'), fill, fault.bytes, progress, () => res.end());
      return;
    }
  }
}

/** Injects a fault into a hijack request's answer (attach, exec start). */
export function injectUpgradeFault(ex: Exchange, fault: FixtureFault, socket: Duplex, progress: FaultProgress): void {
  const u = ex.upgrade;
  const head = (): Buffer => {
    const lines = [u?.statusLine ?? 'HTTP/1.1 101 UPGRADED'];
    for (const [k, v] of Object.entries(u?.headers ?? {})) lines.push(`${k}: ${v}`);
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  };
  const output = (u?.toClient ?? []).map((c) => Buffer.from(typeof c === 'string' ? c : c.data, 'base64'));
  const send = (data: Buffer): void => {
    progress.bytesSent += data.length;
    socket.write(data);
  };
  switch (fault.kind) {
    case 'refuse-upgrade':
      socket.end(rawHttpError(fault.statusCode ?? 409, fault.message ?? 'injected refusal', fault.contentType));
      return;
    case 'stall':
      return; // never answer; the client's timeout or signal must end it
    case 'close-mid-headers':
      socket.end('HTTP/1.1 101 UPGRADED\r\nContent-Type: appl');
      return;
    case 'reset':
      resetSocket(socket);
      return;
    case 'stall-mid-body':
      send(Buffer.concat([head(), ...output.slice(0, fault.afterChunks ?? 1)]));
      return; // output stops; only the client's signal ends an interactive stream
    case 'close-mid-body':
      // a close at a frame boundary is the normal end of a hijacked stream: cut inside the next frame
      send(Buffer.concat([head(), ...output.slice(0, fault.afterChunks ?? 1)]));
      socket.end(output[fault.afterChunks ?? 1]?.subarray(0, 4) ?? Buffer.alloc(0));
      return;
    case 'truncate': {
      const all = Buffer.concat(output);
      send(head());
      const cut = all.subarray(0, fault.bytes ?? Math.max(0, all.length - 3));
      progress.bytesSent += cut.length;
      socket.end(cut);
      return;
    }
    case 'error-mid-stream':
      send(Buffer.concat([head(), ...output.slice(0, fault.afterChunks ?? 1)]));
      socket.end(inBandError({ ...fault, format: fault.format ?? 'frame' }));
      return;
    case 'huge-headers': {
      const { head: first, fill, limit } = hugeHead('HTTP/1.1 101 UPGRADED', fault);
      void pump(socket, first, fill, limit, progress, () => socket.end());
      return;
    }
    case 'endless-body':
      void pump(socket, Buffer.concat([head(), Buffer.from(fault.prefix ?? '', 'latin1')]), Buffer.from(fault.fill ?? 'x', 'latin1'), fault.bytes, progress, () => socket.end());
      return;
  }
}
