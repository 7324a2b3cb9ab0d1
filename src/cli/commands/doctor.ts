import { defineCommand } from '../command.js';
import { UsageError, debugText } from '../failure.js';
import { formatReport } from '../doctor/format.js';
import { diagnose } from '../doctor/report.js';
import { createRenderer } from '../progress/index.js';

/** `berth doctor`: which engine, reached how, speaking what. */
export const doctor = defineCommand({
  name: 'doctor',
  summary: 'check the engine connection and explain what is wrong',
  synopsis: 'doctor [--host H | --context C] [--json] [--timeout SECONDS]',
  description: `
Finds the engine the way the docker CLI does and checks it: which endpoint was
chosen and why (option, DOCKER_HOST, context, default socket), TLS (verification,
client certificate), the API version negotiated against the engine's range and
berth's, the engine (dockerd or podman) and its version, OS, architecture,
kernel, ping latency (median of 5), storage and cgroup drivers, swarm state,
runtimes and the engine's warnings.

A failure is explained in one line with a hint, and its exit code says which
kind it was (see berth --help): engine unreachable, permission denied, TLS
mismatch, certificate refused, API version unsupported, configuration error.
With --json, one JSON object is printed on stdout, for success and failure.`,
  options: {
    host: { type: 'string', value: 'HOST', description: 'the engine, e.g. unix:///run/docker.sock or tcp://h:2376 (like DOCKER_HOST)' },
    context: { type: 'string', value: 'NAME', description: 'use this docker context' },
    json: { type: 'boolean', description: 'print one JSON object (stable field names) instead of text' },
    timeout: { type: 'string', value: 'SECONDS', description: 'give up connecting or waiting for an answer after this long (default 10)' },
  },
  examples: [
    'berth doctor',
    'berth doctor --host tcp://build-host:2376 --json',
    'DOCKER_HOST=unix:///run/user/1000/docker.sock berth doctor',
  ],
  async run({ args, out, env, signal }) {
    const v = args.values;
    const seconds = v.timeout === undefined ? 10 : Number(v.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout ${JSON.stringify(v.timeout)} is not a positive number of seconds`);
    if (v.host !== undefined && v.context !== undefined) throw new UsageError('give --host or --context, not both');
    const mode = v.json === true ? 'quiet' : out.progressMode(out.stderr);
    // only a live spinner helps here; plain output would interleave with the report
    const progress = mode === 'tty' ? createRenderer({ stream: out.stderr, mode, color: out.errStyle.enabled }) : undefined;
    const spinner = progress?.spinner('checking the engine');
    const { report, cause } = await diagnose({
      host: v.host, context: v.context, env, timeoutMs: seconds * 1000, signal,
      onStage: (stage) => spinner?.update(stage),
    });
    spinner?.stop();
    progress?.end();
    if (v.json === true) {
      out.result(JSON.stringify(report, null, 2));
      return report.exitCode;
    }
    // --quiet: only the verdict
    if (!out.quiet) for (const line of formatReport(report, out.style)) out.result(line);
    if (report.error) {
      out.error(report.error.message, report.error.hint ?? undefined);
      if (out.debug) out.stderr.write(`${debugText(cause)}\n`);
    } else {
      out.result(`${out.style.green('ok')}: berth can use this engine`);
    }
    return report.exitCode;
  },
});
