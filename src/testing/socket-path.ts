import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';

/**
 * Makes a unix socket path free for a new listener. A socket file left by a
 * process that died is removed; a socket something still listens on, or any
 * other kind of file, is refused: a fake engine must never replace the real
 * engine's socket or delete a user's file.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw socketPathError(`${path} exists and is not a socket; refusing to replace it`, 'EEXIST');
  const state = await new Promise<'live' | 'stale' | 'unknown'>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => { probe.destroy(); resolve('live'); });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'stale' : 'unknown'));
  });
  if (state === 'live') throw socketPathError(`${path} is in use: something listens on it`, 'EADDRINUSE');
  if (state === 'unknown') throw socketPathError(`${path} exists and cannot be probed; refusing to replace it`, 'EEXIST');
  await unlink(path);
}

function socketPathError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}
