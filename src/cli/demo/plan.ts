/**
 * What the demo runs: its fixed names, the worker image's Dockerfile, the
 * worker's startup script, and the commands of each build. Fixed names keep
 * a run repeatable (and the recorded session replayable); nothing here is
 * secret.
 */

/** The master id of every demo worker: their containers carry it as `berth.master`. */
export const DEMO_MASTER_ID = 'berth-demo';

/** The worker image the demo builds when the engine lacks it. */
export const DEMO_IMAGE = 'berth-demo-worker:latest';

/** The label the demo puts on its image (not a `berth.` label: those belong to the workers). */
export const DEMO_IMAGE_LABEL = 'berth-demo.image';

/** The name of worker `index` (0-based). */
export function workerName(index: number): string {
  return `demo-${index + 1}`;
}

/**
 * The worker's startup script (busybox sh): say who it is — the password
 * included, so the redaction of the startup logs shows — then log in to the
 * master with `WORKERNAME` and `WORKERPASS` over `nc` and keep the
 * connection open for as long as the container runs. The first pause
 * stands for a worker's own start-up. The second lets the output say it
 * logs in before it does: the output and the login travel apart, and the
 * worker's log ends at the login — also in the recorded session, which
 * replays the login when that line comes.
 */
export const WORKER_SCRIPT = [
  'echo "worker $WORKERNAME: busybox $(busybox | head -n 1 | cut -d " " -f 2), pid $$"',
  'echo "worker $WORKERNAME: preparing (a real worker would read its configuration here)"',
  'sleep 1',
  'echo "worker $WORKERNAME: logging in to the master at $BUILDMASTER as $WORKERNAME, password $WORKERPASS"',
  'sleep 1',
  '{ printf "%s\\n%s\\n" "$WORKERNAME" "$WORKERPASS"; exec sleep 2147483647; } | nc "$BUILDMASTER" "$BUILDMASTER_PORT"',
  'echo "worker $WORKERNAME: the master closed the connection"',
].join('\n');

/** The startup line the replayed demo takes as the worker's login (there is no master to connect to). */
export const LOGIN_LINE = /^worker \S+: logging in to the master/;

/** The lines of the worker image's Dockerfile, from `base` (`scratch` with the host's busybox, or a busybox image). */
export function dockerfile(base: 'scratch' | { image: string }): string {
  const lines = base === 'scratch'
    ? ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]']
    : [`FROM ${base.image}`];
  return [
    ...lines,
    'RUN mkdir -p /build /tmp && echo "berth demo worker" > /etc/motd',
    'WORKDIR /build',
    'CMD ["sh"]',
  ].join('\n');
}

/** A command of a build, with the name the output shows. */
export interface BuildCommand {
  readonly name: string;
  readonly cmd: readonly string[];
}

/** The commands of build `n` (1-based): a checkout, a compile of sorts, a test run. Their output is deterministic. */
export function buildCommands(n: number): BuildCommand[] {
  return [
    { name: 'checkout', cmd: ['sh', '-c', `mkdir -p /build/${n} && cd /build/${n} && printf 'int main(void) { return %d; }\\n' ${n} > main.c && echo "checked out revision r${100 + n}: $(ls)"`] },
    { name: 'compile', cmd: ['sh', '-c', `cd /build/${n} && echo "main.c: $(wc -c < main.c) bytes, sha256 $(sha256sum main.c | cut -c 1-12)"`] },
    { name: 'test', cmd: ['sh', '-c', `cd /build/${n} && grep -q "return ${n};" main.c && echo "1 of 1 tests passed"`] },
  ];
}
