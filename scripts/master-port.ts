import type { Exchange, Fixture } from '../src/testing/index.js';

/**
 * A latent worker's container is told the master's port in its
 * environment. A master that listens on a free port picks a new one at each
 * run, so a recording keeps `BUILDMASTER_PORT=<any>` in container create
 * bodies, which replays against any port.
 */
export function anyMasterPort(fixture: Fixture): Fixture {
  const exchanges = fixture.exchanges.map((e): Exchange => {
    const body = e.request.body;
    if (!e.request.path.endsWith('/containers/create') || typeof body !== 'object' || body === null || !('Env' in body)) return e;
    const env: unknown = body.Env;
    if (!Array.isArray(env)) return e;
    const Env = env.map((v: unknown) => (typeof v === 'string' && v.startsWith('BUILDMASTER_PORT=') ? 'BUILDMASTER_PORT=<any>' : v));
    return { ...e, request: { ...e.request, body: { ...body, Env } } };
  });
  return { ...fixture, exchanges };
}
