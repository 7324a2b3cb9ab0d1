import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';

/**
 * The peers berth is measured against, loaded as their users load them
 * (`require`). dockerode ships no types of its own; these are the few
 * members the benchmarks call.
 */

export interface DockerodeModem {
  demuxStream(stream: Readable, stdout: Writable, stderr: Writable): void;
  followProgress(stream: Readable, onFinished: (err: Error | null, output: unknown[]) => void, onProgress?: (event: unknown) => void): void;
}

/** A container handle (`docker.getContainer(id)`); `logs` with `follow` resolves with the response stream. */
export interface DockerodeContainer {
  logs(options: { follow: true; stdout?: boolean; stderr?: boolean }): Promise<Readable>;
}

export interface Dockerode {
  readonly modem: DockerodeModem;
  ping(): Promise<unknown>;
  getContainer(id: string): DockerodeContainer;
}

export type DockerodeConstructor = new (options: { socketPath?: string }) => Dockerode;

const require = createRequire(import.meta.url);

export function loadDockerode(): DockerodeConstructor {
  return require('dockerode') as DockerodeConstructor;
}

/** A package's version as installed, for the report. */
export function installedVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
