/**
 * `await promise.then(...rejection)`: what the promise rejected with, or undefined if it fulfilled
 * (for tests that assert on the error a call fails with).
 */
export const rejection = [() => undefined, (error: unknown) => error] as const;
