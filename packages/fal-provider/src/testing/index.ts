// A strict fake of fal.ai for tests: `@mediaconduit/fal-provider/testing`.
export { ENDPOINTS, FAKE_FAL_MODELS, IMAGE_SIZES, type FakeFalModel, type FalFieldError } from './fake-endpoints.js';
export { FAL_HOSTS, startFakeFal, type FakeFalFault, type FakeFalJob, type FakeFalOptions, type FakeFalRequest, type FakeFalServer } from './fake-fal-server.js';
