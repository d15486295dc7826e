export { startFakeTogether, type FakeFault, type FakeRequest, type FakeTogetherOptions, type FakeTogetherServer } from './fake-together-server.js';
export { FAKE_MODELS, type FakeModel } from './fake-models.js';
