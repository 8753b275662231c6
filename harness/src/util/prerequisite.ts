// A test that needs something of the machine (root, a tool scripts/setup.sh installs, a container
// runtime that can start containers) and finds it missing. On a developer's machine the test is
// skipped with the reason. Under CI (CI=true) scripts/setup.sh has run first, so a missing
// prerequisite means the suite would pass without testing what it claims: the run fails instead,
// naming what is missing.
//
// The probe must not exercise the code under test: a test that skips because the thing it tests
// does not work passes when it is broken.
import { HarnessError } from './errors.ts';

/** Whether this run is CI's: CI set to anything but empty, 0 or false. */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/**
 * `missing` is why `name` cannot be had here, or nothing when it can. Returns node:test's `skip`
 * value: false when present; the reason when missing; under CI, a HarnessError naming it instead.
 * Use it as `{ skip: prerequisite(…) }`, or inside a test: `const why = prerequisite(…); if (why) return t.skip(why);`.
 */
export function prerequisite(name: string, missing: string | undefined | false, env: NodeJS.ProcessEnv = process.env): string | false {
  if (!missing) return false;
  const reason = `${name}: ${missing}`;
  if (underCi(env)) throw new HarnessError(`missing prerequisite under CI=${env.CI}: ${reason} (scripts/setup.sh provides it; CI fails rather than skip)`);
  return reason;
}
