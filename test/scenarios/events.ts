import { DockerAbortError, unixTime, type EventMessage } from '../../src/index.js';
import { removeNamed } from './containers.js';
import { failure, scenario, type Scenario } from './scenario.js';

/**
 * Events of a container the scenario creates, starts and removes, read back
 * with a label filter between `since` (the container's creation) and `until`
 * (the engine's clock after the removal, plus a second): a finite stream
 * that replays the same.
 */

const LABEL = 'berth.test=events';

export const eventsContainer = scenario({
  name: 'events-container',
  description: 'GET /events with since/until and label and type filters around a container\'s life; a stream ended by a signal',
  setup: (docker) => removeNamed(docker, 'berth-rec-events'),
  cleanup: (docker) => removeNamed(docker, 'berth-rec-events'),
  async run(docker, ctx) {
    const { Id } = await docker.containers.create({
      Image: ctx.image, Cmd: ['true'], Labels: { 'berth.test': 'events' }, HostConfig: { NetworkMode: 'none' },
    }, { name: 'berth-rec-events' });
    const waiter = await docker.containers.waiter(Id, { condition: 'next-exit' });
    await docker.containers.start(Id);
    await waiter.result;
    const { Created } = await docker.containers.inspect(Id);
    await docker.containers.remove(Id);
    // the engine's clock, not ours: recorded, so the replayed request asks for the same window.
    // podman 4.3 ends at once, with nothing, when `until` has already passed: ask until a second from now
    const [seconds, fraction] = unixTime((await docker.info()).SystemTime ?? '', 'SystemTime').split('.');
    const until = `${Number(seconds) + 1}${fraction !== undefined ? `.${fraction}` : ''}`;
    const events: EventMessage[] = [];
    for await (const e of docker.events({ since: Created, until, filters: { label: [LABEL], type: ['container'] } })) events.push(e);
    const controller = new AbortController();
    const first: string[] = [];
    const aborted = await failure(async () => {
      for await (const e of docker.events({ since: Created, filters: { label: [LABEL] }, signal: controller.signal })) {
        first.push(e.Action ?? '');
        controller.abort(new Error('one is enough'));
      }
    });
    return { id: Id, events, first, aborted };
  },
  check(t, r, ctx) {
    const actions = r.events.map((e) => e.Action);
    const expected = ctx.engine.startsWith('podman')
      ? ['create', 'init', 'start', 'die', 'cleanup', 'remove']
      : ['create', 'start', 'die', 'destroy'];
    t.same(actions, expected, 'the container\'s life, in order, and the stream ended at until');
    for (const e of r.events) {
      t.equal(e.Type, 'container');
      t.equal(e.Actor?.ID, r.id, 'about the container');
      t.equal(e.Actor?.Attributes?.name, 'berth-rec-events');
      t.equal(e.Actor?.Attributes?.['berth.test'], 'events', 'its labels are attributes');
      t.ok(typeof e.timeNano === 'number' && e.timeNano > 0);
    }
    t.equal(r.events.find((e) => e.Action === 'die')?.Actor?.Attributes?.exitCode, '0', 'die carries the exit code');
    t.same(r.first, ['create'], 'the second stream replayed from since');
    t.type(r.aborted, DockerAbortError, 'a signal ends the stream with DockerAbortError');
  },
});

export const scenarios: Scenario[] = [eventsContainer];
