import { Docker } from '../../src/index.js';
import { failure, scenario, type Scenario } from './scenario.js';

/** ping, version, info and df: the system calls. */
export const system = scenario({
  name: 'system',
  description: 'HEAD /_ping, GET /version, GET /info, GET /system/df',
  async run(docker) {
    const ping = await docker.ping();
    const version = await docker.version();
    const info = await docker.info();
    const df = await docker.df();
    return { ping, version, info, df, apiVersion: docker.apiVersion };
  },
});

/** Negotiation inputs: what /_ping and /version say. */
export const pingVersion = scenario({
  name: 'ping-version',
  description: 'negotiation: HEAD /_ping then GET /version',
  async run(docker) {
    const ping = await docker.ping();
    const version = await docker.version();
    return { ping, version, apiVersion: docker.apiVersion };
  },
});

/** A pinned version newer than the engine: the 400 "too new" becomes a DockerVersionError. */
export const pinnedTooNew = scenario({
  name: 'pinned-too-new',
  description: 'apiVersion pinned to 1.55 against an older engine',
  engines: ['dockerd-20.10', 'dockerd-26.1', 'dockerd-28.5'],
  async run(docker) {
    const pinned = new Docker({ host: docker.endpoint.url, env: {}, apiVersion: '1.55' });
    try {
      const error = await failure(() => pinned.version());
      return { error };
    } finally {
      await pinned.close();
    }
  },
});

/** An unknown container: the engine's 404 and its message. */
export const notFound = scenario({
  name: 'not-found',
  description: 'GET /containers/berth-no-such-container/json → 404',
  async run(docker) {
    const error = await failure(() => docker.requester.json({ method: 'GET', path: '/containers/berth-no-such-container/json' }));
    return { error };
  },
});

export const scenarios: Scenario[] = [system, pingVersion, pinnedTooNew, notFound];
