import { ReplayServer, loadFixture, type Fixture, type ReplayReport } from '../../testing/index.js';
import { defineCommand } from '../command.js';
import { CliError, EXIT } from '../failure.js';
import { listenError, planListen } from '../listen.js';
import type { Output } from '../output.js';
import { aborted } from '../signals.js';

/** `berth replay`: recorded fixtures served as a fake engine. */
export const replay = defineCommand({
  name: 'replay',
  summary: 'serve recorded fixtures as a fake engine (for the docker CLI or any client)',
  synopsis: 'replay <fixture.json…> [--socket PATH | --listen HOST:PORT] [--strict-order] [--once] [--check]',
  description: `
Serves the exchanges recorded in the fixtures (by \`berth record\` or the test
suite) on a unix socket or TCP address, as if it were the engine. Prints the
DOCKER_HOST line to export on stdout, then answers requests until SIGINT or
SIGTERM (or, with --once, until every exchange was served), and prints the
replay report: exchanges served, requests that matched nothing (they got a
599 naming the nearest exchange) and exchanges nobody asked for.

Requests are matched by method, path, query and JSON body, to the earliest
unserved exchange that fits (any order), or strictly in recorded order with
--strict-order. Several fixtures are served as one sequence.`,
  options: {
    socket: { type: 'string', value: 'PATH', description: 'listen on this unix socket (default: a fresh one under /tmp)' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'listen on TCP instead (port 0 picks a free one)' },
    'strict-order': { type: 'boolean', description: 'serve exchanges only in recorded order' },
    once: { type: 'boolean', description: 'exit as soon as every exchange has been served' },
    check: { type: 'boolean', description: 'exit 1 if a request missed or an exchange was not served' },
  },
  positionals: { name: 'fixture.json', min: 1, max: Number.POSITIVE_INFINITY },
  examples: [
    'berth replay test/fixtures/cli/docker-ps.json',
    'berth replay --once --check --socket /tmp/fake.sock session.json   # then: docker -H unix:///tmp/fake.sock ps -a',
  ],
  async run({ args, out, signal }) {
    const plan = await planListen(args.values);
    let fixtures: Fixture[];
    let server: ReplayServer;
    try {
      fixtures = args.positionals.map(loadFixtureFile);
      server = await ReplayServer.start(fixtures, { listen: plan.listen, strictOrder: args.values['strict-order'] === true })
        .catch((err: unknown) => { throw listenError(err, plan.listen); });
    } catch (err) {
      await plan.cleanup();
      throw err;
    }
    let failure: unknown;
    try {
      out.result(`export DOCKER_HOST=${server.url}`);
      const total = server.exchanges.filter((e) => e.repeat !== true).length;
      const engines = [...new Set(fixtures.map((f) => `${f.engine}, API ${f.apiVersion}`))].join('; ');
      out.note(`serving ${total} exchange${total === 1 ? '' : 's'} from ${fixtures.length} fixture${fixtures.length === 1 ? '' : 's'} (${engines}); ${args.values.once === true ? 'exits when all are served' : 'stop with Ctrl-C'}`);
      await Promise.race([aborted(signal), ...(args.values.once === true ? [server.consumed()] : [])]);
    } catch (err) {
      failure = err;
    }
    const report = await server.close();
    await plan.cleanup();
    if (failure !== undefined) throw failure;
    printReport(out, report, server);
    if (args.values.check === true && (report.misses.length > 0 || report.unconsumed.length > 0)) {
      throw new CliError('failed', `replay incomplete: ${report.misses.length} missed, ${report.unconsumed.length} not served`, {
        hint: 'the client asked for something other than what was recorded: compare with the report above, or re-record',
      });
    }
    return EXIT.ok;
  },
});

function loadFixtureFile(path: string): Fixture {
  try {
    return loadFixture(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err);
    throw new CliError('config', `cannot load fixture ${path}: ${why}`, { hint: 'fixtures are JSON files written by berth record', cause: err });
  }
}

function printReport(out: Output, report: ReplayReport, server: ReplayServer): void {
  const total = server.exchanges.filter((e) => e.repeat !== true).length;
  const served = total - report.unconsumed.length;
  const s = out.style;
  const ok = report.misses.length === 0 && report.unconsumed.length === 0;
  out.result(`${ok ? s.green('replay complete') : s.yellow('replay incomplete')}: ${served} of ${total} exchanges served, ${server.requests.length} requests, ${report.misses.length} missed`);
  for (const m of report.misses) out.result(`  missed: ${m.message}`);
  for (const u of report.unconsumed) out.result(`  not served: #${u.index} ${u.method} ${u.path}`);
}
