import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';

/** One entry of an archive, as read back by tar-stream's extractor. */
export interface TarEntryInfo {
  name: string;
  type: string;
  mode: number;
  size: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string | null;
  content: Buffer;
}

/** Reads a whole tar stream into its entries (contents included). */
export async function readTar(source: Readable | Buffer): Promise<TarEntryInfo[]> {
  const ex = extract();
  const entries: TarEntryInfo[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      entries.push({
        name: h.name, type: h.type, mode: h.mode, size: h.size, uid: h.uid, gid: h.gid,
        uname: h.uname, gname: h.gname, mtime: h.mtime.getTime(), linkname: h.linkname ?? null, content: Buffer.concat(chunks),
      });
    }
  })();
  if (Buffer.isBuffer(source)) {
    ex.end(source);
  } else {
    source.on('error', (err) => ex.destroy(err));
    source.on('data', (chunk: Buffer) => { if (!ex.write(chunk)) source.pause(); });
    ex.on('drain', () => source.resume());
    source.on('end', () => ex.end(undefined));
  }
  await done;
  return entries;
}

/** Reads a stream to the end. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A small tar of regular files (mode 0644, mtime 0), in memory. */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
