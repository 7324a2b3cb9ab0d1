import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import {
  BadRequestError, DockerStreamError, ServerError, isNotFound,
  type BuildEvent, type BuildResult, type Docker, type ImageBuild,
} from '../../src/index.js';
import type { EngineName } from '../helpers/engines.js';
import { scenario, type Scenario, type ScenarioContext } from './scenario.js';

/**
 * `docker.images.build()` recorded from real classic builds on dockerd 20.10,
 * dockerd 28.5 and podman 4.3: steps and RUN output, a failing RUN's exit
 * code, the errors each engine gives for a missing Dockerfile and a bad
 * instruction, build arguments, a target stage, several tags, a quiet build,
 * a Dockerfile given as text next to a directory, and one outside it.
 */

const ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-28.5', 'podman-4.3'];
const REPO = 'berth-rec-build';
const TAGS = ['steps', 'steps-2', 'args', 'target', 'quiet', 'content', 'outside'].map((t) => `${REPO}:${t}`);

interface Collected {
  events: BuildEvent[];
  result: BuildResult | undefined;
  error: Error | undefined;
}

/** Iterates a build to its end, then awaits it: the two views of one stream. */
async function collect(build: ImageBuild): Promise<Collected> {
  const events: BuildEvent[] = [];
  try {
    for await (const event of build) events.push(event);
  } catch {
    // the result says it again
  }
  try {
    return { events, result: await build, error: undefined };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return { events, result: undefined, error: err };
  }
}

/** Writes files into a fresh directory under the scenario's scratch space; returns it. */
function tree(ctx: ScenarioContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(ctx.tmp, 'bsc-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

async function removeTags(docker: Docker): Promise<void> {
  for (const tag of TAGS) {
    await docker.images.remove(tag, { force: true }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

const lines = (c: Collected): string[] => c.events.flatMap((e) => (e.type === 'output' || e.type === 'step' ? [e.line] : []));
const isPodman = (engine: string): boolean => engine.startsWith('podman');

/** A multi-step build from a directory, two tags, RUN output on stdout and stderr. */
export const buildSteps = scenario({
  name: 'build-steps',
  description: 'POST /build from a directory: steps, RUN output, aux.ID, labels, two tags; both tags inspected',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker, ctx) {
    const root = tree(ctx, {
      'Dockerfile': 'FROM busybox:test\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo to-stderr >&2\nLABEL berth.stage=steps\n',
      'hello.txt': 'hello from the context\n',
    });
    try {
      const progress: BuildEvent[] = [];
      const built = await collect(docker.images.build({
        context: root, tag: [`${REPO}:steps`, `${REPO}:steps-2`], labels: { 'berth.test': 'build' }, noCache: true,
        onProgress: (e) => progress.push(e),
      }));
      const first = await docker.images.inspect(`${REPO}:steps`);
      const second = await docker.images.inspect(`${REPO}:steps-2`);
      return { ...built, progressCount: progress.length, first, second };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
  check(t, r, ctx) {
    t.equal(r.error, undefined, 'the build succeeded');
    const steps = r.events.flatMap((e) => (e.type === 'step' ? [e] : []));
    // the labels option becomes one more LABEL step, which each engine words its own way
    t.same(steps.map((s) => [s.step, s.total]), [[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]], 'five steps, numbered');
    t.same(steps.map((s) => s.instruction), [
      'FROM busybox:test', 'COPY hello.txt /hello.txt', 'RUN cat /hello.txt && echo to-stderr >&2', 'LABEL berth.stage=steps',
      isPodman(ctx.engine) ? 'LABEL "berth.test"="build"' : 'LABEL berth.test=build',
    ]);
    t.match(steps[0]?.line, isPodman(ctx.engine) ? /^STEP 1\/5: / : /^Step 1\/5 : /, 'each engine words its step lines');
    const out = lines(r);
    t.ok(out.includes('hello from the context'), 'RUN stdout arrived as a whole line');
    t.ok(out.includes('to-stderr'), 'RUN stderr arrived without its colour codes');
    const images = r.events.flatMap((e) => (e.type === 'image' ? [e.id] : []));
    t.equal(images.length, 1, 'one aux.ID');
    t.match(r.result?.id, /^sha256:[0-9a-f]{64}$/);
    t.equal(images[0], r.result?.id, 'the result id is the aux.ID');
    t.same(r.result?.tags, [`${REPO}:steps`, `${REPO}:steps-2`]);
    t.equal(r.first.Id, r.result?.id, 'the first tag names the built image');
    t.equal(r.second.Id, r.result?.id, 'the second tag names it too');
    t.equal(r.first.Config?.Labels?.['berth.test'], 'build', 'the labels option was applied');
    t.equal(r.first.Config?.Labels?.['berth.stage'], 'steps');
    t.equal(r.progressCount, r.events.length, 'onProgress saw every event the iterator saw');
    t.ok(r.result !== undefined && r.result.log.some((l) => l.startsWith('Successfully tagged')), 'the log ends with the engine\'s last lines');
  },
});

/** A RUN that exits 7: the stream error carries the exit code and the output before it. */
export const buildRunFails = scenario({
  name: 'build-run-fails',
  description: 'POST /build (forcerm) with a RUN exiting 7: in-band errorDetail (dockerd code 7; podman names it in the message)',
  engines: ENGINES,
  async run(docker) {
    return collect(docker.images.build({
      // forceRm: the failed step's container is removed too (rm alone keeps it)
      dockerfileContent: 'FROM busybox:test\nRUN echo before\nRUN sh -c \'echo boom >&2; exit 7\'\n', noCache: true, forceRm: true,
    }));
  },
  check(t, r, ctx) {
    t.type(r.error, DockerStreamError);
    const err = r.error as DockerStreamError;
    t.equal(err.errorCode, 7, 'the exit code of the failed RUN');
    t.match(err.engineMessage, isPodman(ctx.engine) ? /exit status 7$/ : /returned a non-zero code: 7$/);
    t.ok(err.transcript.includes('boom'), 'the transcript holds the step\'s stderr');
    t.ok(err.transcript.includes('before'), 'and the earlier output');
    t.notOk(err.transcript.includes(''), 'no empty line from the colour reset');
    t.ok(lines(r).includes('boom'), 'the iterator got the output before the error');
  },
});

/** A tar archive without the named Dockerfile: dockerd refuses with HTTP 500, podman fails in-band. */
export const buildMissingDockerfile = scenario({
  name: 'build-missing-dockerfile',
  description: 'POST /build of a tar stream with no Dockerfile: dockerd 500 before the stream, podman 200 + errorDetail',
  engines: ENGINES,
  async run(docker) {
    const archive = pack();
    archive.entry({ name: 'README', mode: 0o644, mtime: new Date(0) }, 'no Dockerfile here\n');
    archive.finalize();
    return collect(docker.images.build({ context: Readable.from(archive), dockerfile: 'Dockerfile' }));
  },
  check(t, r, ctx) {
    if (isPodman(ctx.engine)) {
      t.type(r.error, DockerStreamError, 'podman: 200 and an in-band error');
      t.match((r.error as DockerStreamError).engineMessage, /Dockerfile: no such file or directory/);
    } else {
      t.type(r.error, ServerError, 'dockerd: an HTTP error before any output');
      t.equal((r.error as ServerError).statusCode, 500);
      t.equal((r.error as ServerError).engineMessage, 'Cannot locate specified Dockerfile: Dockerfile');
    }
    t.same(r.events, [], 'no events');
  },
});

/** `FORM` instead of `FROM`. */
export const buildBadInstruction = scenario({
  name: 'build-bad-instruction',
  description: 'POST /build of a Dockerfile with an unknown instruction: dockerd 400, podman in-band',
  engines: ENGINES,
  async run(docker) {
    return collect(docker.images.build({ dockerfileContent: 'FORM busybox:test\n' }));
  },
  check(t, r, ctx) {
    if (isPodman(ctx.engine)) {
      t.type(r.error, DockerStreamError, 'podman reports it in-band');
      t.match((r.error as DockerStreamError).engineMessage, /no FROM statement found/);
    } else {
      t.type(r.error, BadRequestError, 'dockerd: 400');
      t.match((r.error as BadRequestError).engineMessage, /unknown instruction: FORM/i);
    }
  },
});

/** Build arguments, one of them null (declared, no value: the ARG's default applies). */
export const buildArgs = scenario({
  name: 'build-args',
  description: 'POST /build with buildargs {A: "from-the-client", B: null}: ARG A, ARG B=default, RUN echo',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker) {
    return collect(docker.images.build({
      dockerfileContent: 'FROM busybox:test\nARG A\nARG B=default\nRUN echo "A=$A B=$B"\n',
      buildArgs: { A: 'from-the-client', B: null }, tag: `${REPO}:args`, noCache: true,
    }));
  },
  check(t, r, ctx) {
    t.equal(r.error, undefined);
    const out = lines(r).filter((l) => l.startsWith('A='));
    // dockerd keeps the ARG's default for a null value; podman takes the null as an empty string
    t.same(out, [isPodman(ctx.engine) ? 'A=from-the-client B=' : 'A=from-the-client B=default']);
  },
});

/** A multi-stage Dockerfile built up to its first stage. */
export const buildTarget = scenario({
  name: 'build-target',
  description: 'POST /build with target=first of two stages; the image has the first stage\'s label',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker) {
    const built = await collect(docker.images.build({
      dockerfileContent: 'FROM busybox:test AS first\nLABEL berth.stage=first\nFROM busybox:test AS second\nLABEL berth.stage=second\n',
      target: 'first', tag: `${REPO}:target`,
    }));
    return { ...built, image: await docker.images.inspect(`${REPO}:target`) };
  },
  check(t, r) {
    t.equal(r.error, undefined);
    t.equal(r.image.Id, r.result?.id);
    t.equal(r.image.Config?.Labels?.['berth.stage'], 'first', 'the target stage was built, not the last one');
  },
});

/** A quiet build: only the id comes back, in each engine's form. */
export const buildQuiet = scenario({
  name: 'build-quiet',
  description: 'POST /build with q=1: dockerd prints sha256:<id>, podman the bare id',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker) {
    const built = await collect(docker.images.build({
      dockerfileContent: 'FROM busybox:test\nRUN echo quiet\n', tag: `${REPO}:quiet`, quiet: true, noCache: true,
    }));
    return { ...built, image: await docker.images.inspect(`${REPO}:quiet`) };
  },
  check(t, r) {
    t.equal(r.error, undefined);
    t.notOk(lines(r).includes('quiet'), 'no RUN output');
    t.match(r.result?.id, /^sha256:[0-9a-f]{64}$/, 'a full id, whatever the engine\'s form');
    t.equal(r.result?.id, r.image.Id);
  },
});

/** A directory with its own (broken) Dockerfile, built with a Dockerfile given as text. */
export const buildDockerfileContent = scenario({
  name: 'build-dockerfile-content',
  description: 'POST /build of a directory with dockerfileContent: added as .dockerfile.<hash>; the directory\'s Dockerfile is an ordinary file',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker, ctx) {
    const root = tree(ctx, { 'Dockerfile': 'this is not the Dockerfile used\n', 'data.txt': 'data\n' });
    try {
      return await collect(docker.images.build({
        context: root, dockerfileContent: 'FROM busybox:test\nCOPY . /ctx\nRUN ls -a /ctx\n', tag: `${REPO}:content`, noCache: true,
      }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
  check(t, r) {
    t.equal(r.error, undefined);
    const out = lines(r);
    t.ok(out.includes('Dockerfile'), 'the directory\'s Dockerfile was sent as a file');
    t.ok(out.includes('data.txt'));
    t.notOk(out.some((l) => l.startsWith('.dockerfile.')), 'the added Dockerfile was removed from the context');
  },
});

/** A Dockerfile outside the context directory, as `docker build -f ../Dockerfile dir`. */
export const buildDockerfileOutside = scenario({
  name: 'build-dockerfile-outside',
  description: 'POST /build of a directory with a Dockerfile outside it, added under a generated name',
  engines: ENGINES,
  setup: removeTags,
  cleanup: removeTags,
  async run(docker, ctx) {
    const base = tree(ctx, {
      'Dockerfile.outside': 'FROM busybox:test\nCOPY . /ctx\nRUN ls -a /ctx\n',
      'ctx/app.txt': 'app\n',
      'ctx/skip.log': 'skipped by .dockerignore\n',
      'ctx/.dockerignore': '*.log\n',
    });
    try {
      return await collect(docker.images.build({
        context: join(base, 'ctx'), dockerfile: join(base, 'Dockerfile.outside'), tag: `${REPO}:outside`, noCache: true,
      }));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
  check(t, r) {
    t.equal(r.error, undefined);
    const out = lines(r);
    t.ok(out.includes('app.txt'), 'the context arrived');
    t.notOk(out.includes('skip.log'), '.dockerignore was applied');
    t.notOk(out.some((l) => l.startsWith('.dockerfile.')), 'the added Dockerfile is not in the image');
  },
});

export const scenarios: Scenario[] = [
  buildSteps, buildRunFails, buildMissingDockerfile, buildBadInstruction, buildArgs, buildTarget, buildQuiet,
  buildDockerfileContent, buildDockerfileOutside,
];
