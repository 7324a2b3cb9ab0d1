import { DockerArgumentError, parseImageReference } from '../engine/index.js';

/**
 * Why `reference` is not an image reference, or undefined when it is one —
 * the engine client's parser, phrased for configuration errors. Catches
 * typos and upper-case names before a pull or a build is attempted.
 */
export function imageReferenceProblem(reference: string): string | undefined {
  if (reference === '') return 'empty image reference';
  if (/\s/.test(reference)) return `"${reference}" contains whitespace`;
  try {
    parseImageReference(reference);
    return undefined;
  } catch (err) {
    if (!(err instanceof DockerArgumentError)) throw err;
    const why = err.message.replace(/^invalid image reference "[^"]*": /, '');
    return `"${reference}" is not an image reference: ${why}`;
  }
}
