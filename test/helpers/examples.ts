import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './replay.js';

/**
 * The README's examples (`examples/*.ts`): how each is run when it is
 * recorded from a real engine and replayed in the tests. Each takes the
 * image to use as its argument (the test engines have `busybox:test`).
 */

/** The image the examples were recorded with. */
export const EXAMPLE_IMAGE = 'busybox:test';

export interface ExampleRun {
  readonly name: string;
  readonly args: readonly string[];
}

/** What the pull example pulls: the image, pushed to a private registry on the recording machine (its open test registry's port). */
export const EXAMPLE_PULL_REFERENCE = '127.0.0.1:5081/berth/busybox:test';

/** Every example the README includes, in README order. */
export const EXAMPLES: readonly ExampleRun[] = ['connect', 'errors', 'cancellation', 'pull', 'containers', 'logs', 'exec', 'events', 'build']
  .map((name) => ({ name, args: name === 'connect' ? [] : name === 'pull' ? [EXAMPLE_PULL_REFERENCE] : [EXAMPLE_IMAGE] }));

/** The compiled example. */
export function exampleScript(name: string): string {
  return join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'examples', `${name}.js`);
}

/** The example's source, as the README shows it. */
export function exampleSource(name: string): string {
  return join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'examples', `${name}.ts`);
}

/** Where an example's recorded exchanges and its output are kept. */
export function exampleFixture(name: string): { exchanges: string; stdout: string } {
  return { exchanges: join(FIXTURES, 'examples', `${name}.json`), stdout: join(FIXTURES, 'examples', `${name}.stdout`) };
}
