/** Record and replay: a fake engine from fixtures, and the proxy that records them. `berth/testing`. */
export { ReplayServer, type ReplayOptions, type ReplayListen, type ReplayReport, type SeenRequest } from './replay-server.js';
export { RecordingProxy, type RecorderOptions } from './recorder.js';
export { Scrubber } from './scrub.js';
export {
  loadFixture, saveFixture, matchesValue, matchesQuery, ANY, REDACTED,
  type Fixture, type Exchange, type FixtureRequest, type FixtureResponse, type FixtureUpgrade, type FixtureFault, type UpgradeChunk,
  type ResponseTiming,
} from './fixture.js';
