import t from 'tap';
import { LatentWorkerStateError, TRANSITIONS, WORKER_STATES, nextState, type WorkerEvent, type WorkerState } from '../../../src/index.js';

const EVENTS: readonly WorkerEvent[] = [
  'request', 'queue', 'restart', 'start', 'attach', 'abandon', 'insubstantiate', 'dequeue', 'stopped', 'shutdown',
];

t.test('the table lists exactly the transitions of the lifecycle', async (t) => {
  const listed: string[] = [];
  for (const from of WORKER_STATES) {
    for (const [event, to] of Object.entries(TRANSITIONS[from])) listed.push(`${from} -${event}-> ${to}`);
  }
  t.same(listed.sort(), [
    'INSUBSTANTIATING -queue-> INSUBSTANTIATING_SUBSTANTIATING',
    'INSUBSTANTIATING -stopped-> NOT_SUBSTANTIATED',
    'INSUBSTANTIATING_SUBSTANTIATING -dequeue-> INSUBSTANTIATING',
    'INSUBSTANTIATING_SUBSTANTIATING -stopped-> SUBSTANTIATING',
    'NOT_SUBSTANTIATED -request-> SUBSTANTIATING',
    'NOT_SUBSTANTIATED -shutdown-> SHUT_DOWN',
    'SUBSTANTIATED -insubstantiate-> INSUBSTANTIATING',
    'SUBSTANTIATED -restart-> INSUBSTANTIATING_SUBSTANTIATING',
    'SUBSTANTIATING -abandon-> NOT_SUBSTANTIATED',
    'SUBSTANTIATING -start-> SUBSTANTIATING_STARTING',
    'SUBSTANTIATING_STARTING -attach-> SUBSTANTIATED',
    'SUBSTANTIATING_STARTING -insubstantiate-> INSUBSTANTIATING',
  ]);
});

t.test('nextState follows the table and refuses everything else with a typed error', async (t) => {
  let refused = 0;
  for (const from of WORKER_STATES) {
    for (const event of EVENTS) {
      const to = TRANSITIONS[from][event];
      if (to !== undefined) {
        t.equal(nextState(from, event, 'w'), to, `${from} -${event}->`);
        continue;
      }
      refused++;
      const err = t.throws(() => nextState(from, event, 'w'), LatentWorkerStateError, `${from} -${event}-> is illegal`);
      if (err instanceof LatentWorkerStateError) {
        t.equal(err.code, 'ERR_WORKER_ILLEGAL_TRANSITION');
        t.equal(err.workerName, 'w');
        t.match(err.message, new RegExp(`"${event}" in state ${from}`));
      }
    }
  }
  t.equal(refused, WORKER_STATES.length * EVENTS.length - 12, 'every unlisted pair is refused');
});

t.test('every state is reachable from NOT_SUBSTANTIATED, SHUT_DOWN is final, every live state can reach SHUT_DOWN', async (t) => {
  const reach = (start: WorkerState): Set<WorkerState> => {
    const seen = new Set<WorkerState>([start]);
    const queue = [start];
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      for (const to of Object.values(TRANSITIONS[s])) {
        if (to !== undefined && !seen.has(to)) { seen.add(to); queue.push(to); }
      }
    }
    return seen;
  };
  t.same([...reach('NOT_SUBSTANTIATED')].sort(), [...WORKER_STATES].sort());
  t.same(Object.keys(TRANSITIONS.SHUT_DOWN), []);
  for (const s of WORKER_STATES) t.ok(reach(s).has('SHUT_DOWN'), `${s} can end in SHUT_DOWN`);
});
