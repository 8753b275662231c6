// Every default of the config file, in one table. The schema's descriptions (and so the JSON
// schema editors show), the builder and the cross-field checks all read it, so what the file
// says a default is and what mcsync does without the field cannot drift apart.
import { durationMs } from './duration.ts';
import type { ConflictPolicy, StalePolicy } from './types.ts';

export const DEFAULTS = {
  instance: 'default',
  createNamespaces: true,
  conflictPolicy: 'skip' as ConflictPolicy,
  concurrency: 8,
  networkPolicies: false,
  mcs: false,
  controller: {
    writeQps: 20,
    writeBurst: 40,
    resyncInterval: '10m',
    watchTimeout: '5m',
  },
  leaderElection: {
    namespace: 'kube-system',
    /** `<instance>` stands for the config's instance; see defaultLeaseName. */
    name: 'mcsync-<instance>',
    // client-go's defaults.
    leaseDuration: '15s',
    renewDeadline: '10s',
    retryPeriod: '2s',
  },
  inventory: {
    execTimeout: '30s',
    onRemove: 'keep' as 'keep' | 'withdraw',
  },
  cluster: {
    staleAfter: '5m',
    stalePolicy: 'keep' as StalePolicy,
  },
} as const;

export function defaultLeaseName(instance: string): string {
  return DEFAULTS.leaderElection.name.replace('<instance>', instance);
}

/** For the Lease code, which also runs without a Config (tests, tools). */
export const DEFAULT_LEASE_DURATION_MS = durationMs(DEFAULTS.leaderElection.leaseDuration);
export const DEFAULT_RENEW_DEADLINE_MS = durationMs(DEFAULTS.leaderElection.renewDeadline);
export const DEFAULT_RETRY_PERIOD_MS = durationMs(DEFAULTS.leaderElection.retryPeriod);

/**
 * How a description states a default: `Default 8`, `Default "10m"`. Strings are quoted so a
 * reader sees the exact text to write (and "default" does not read as a word of the sentence).
 */
export function defaultIs(value: string | number | boolean): string {
  return `Default ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}
