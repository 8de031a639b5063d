// A first-in, first-out queue that runs one async operation at a time.
// Used on SQLite, where one client is one connection and an open transaction would swallow interleaved queries.

export interface SerialQueue {
  run<T>(operation: () => Promise<T>): Promise<T>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(operation) {
      const result = tail.then(operation, operation);
      // The next operation waits for this one to settle, whatever its outcome.
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
