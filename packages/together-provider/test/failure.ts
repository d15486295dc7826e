import { MediaConduitError } from '@mediaconduit/core';

/** The MediaConduitError `promise` rejects with (anything else fails the test). */
export async function failure(promise: Promise<unknown>): Promise<MediaConduitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!MediaConduitError.isInstance(error)) throw new Error(`expected a MediaConduitError, got ${String(error)}`);
  return error;
}
