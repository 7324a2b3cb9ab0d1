import t from 'tap';
import { readFileSync } from 'node:fs';
import { EXAMPLES, exampleFixture, runExample } from '../helpers/examples.js';
import { replay } from '../helpers/replay.js';
import { shortTempDir } from '../helpers/tmp.js';

/**
 * Every README example runs against the replay engine — its own recorded
 * exchanges — as a user runs it (`node build/examples/<name>.js`, with
 * DOCKER_HOST pointing at the engine), asks for exactly what it asked of the
 * real engine, and prints what it printed there.
 */

for (const example of EXAMPLES) {
  t.test(`examples/${example.name}.ts`, async (t) => {
    const paths = exampleFixture(example.name);
    const config = shortTempDir(t, 'bx');
    const r = await replay(t, [paths.exchanges], ({ url }) => runExample(example, {
      PATH: process.env.PATH ?? '', DOCKER_HOST: url, DOCKER_CONFIG: config,
    }));
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stderr, '', 'nothing on stderr');
    t.equal(r.stdout, readFileSync(paths.stdout, 'utf8'), 'the output the real engine gave');
  });
}
