import { randomBytes } from 'node:crypto';

/** The characters of a generated password. */
export const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The length of a generated password (Buildbot's). */
export const PASSWORD_LENGTH = 20;

/** The largest byte value below a multiple of the alphabet size: bytes from it up are rejected (248 for 62 characters). */
const ACCEPT_BELOW = 256 - (256 % PASSWORD_ALPHABET.length);

/**
 * A random password of `[A-Za-z0-9]`, for a worker configured without one
 * (`WORKERPASS`). Each character is drawn uniformly from crypto-random
 * bytes by rejection sampling: bytes 248-255 are skipped, so no character
 * is likelier than another (a plain `byte % 62` would favour the first eight).
 *
 * @param length at least 20 (default 20)
 * @param random the source of random bytes (for tests; default `crypto.randomBytes`)
 */
export function generatePassword(length = PASSWORD_LENGTH, random: (size: number) => Uint8Array = randomBytes): string {
  if (!Number.isInteger(length) || length < PASSWORD_LENGTH) {
    throw new RangeError(`a generated password has at least ${PASSWORD_LENGTH} characters, not ${length}`);
  }
  let out = '';
  while (out.length < length) {
    for (const byte of random(length - out.length + 8)) {
      if (byte >= ACCEPT_BELOW) continue;
      out += PASSWORD_ALPHABET.charAt(byte % PASSWORD_ALPHABET.length);
      if (out.length === length) break;
    }
  }
  return out;
}
