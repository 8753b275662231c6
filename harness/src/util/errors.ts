// The harness's own error: a problem with the machine, the binaries or the clusters the harness
// runs (a missing tool, a component that died, a bad name), as opposed to a failing assertion of
// the code under test. Everything in harness/ throws it, so a test's output says which side broke.
export class HarnessError extends Error {
  override name = 'HarnessError';
}
