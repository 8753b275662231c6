// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, so mcsync
// instances can share a Lease with each other and behave as Kubernetes' own controllers do.
//
// Safety rests on two clocks never being compared: a contender judges expiry only by when IT
// saw the Lease record last change, and the holder stops leading once renewDeadline has passed
// since it last sent a renew that succeeded. Keep renewDeadline < leaseDuration so the holder
// gives up before anyone else can consider the lease expired.
import { DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS } from '../config/defaults.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LEASE_RETRY_JITTER, jittered } from './backoff.ts';
import { KubeApiError, type ApiClient } from './client.ts';
import { WakeableSleep } from './sleep.ts';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
  [k: string]: unknown;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  /** Only requests are needed: any ApiClient (a real cluster's, or a scripted one in tests). */
  client: ApiClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Called whenever the observed holder changes to a new, non-empty identity (ours included). */
  onNewLeader?: (identity: string) => void;
  now?: () => number;
  log?: (msg: string, fields?: object) => void;
}

export interface StopOptions {
  /**
   * Release the lease so another instance can take over at once (client-go's ReleaseOnCancel).
   * `false` leaves it to expire, as a crashed process would.
   */
  release?: boolean;
}

/** `host_pid_random`: unique per process even when pods share a hostname or pid. */
export function leaseIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Whole seconds for the record, rounded up: rounding down would let others expire us early. */
export function leaseDurationSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Whether a lease held by someone else may be taken: its record has not changed for longer
 * than the duration the holder promised (the record's, when it has one), by our own clock.
 */
export function leaseExpired(observedAt: number, spec: LeaseSpec | undefined, fallbackMs: number, now: number): boolean {
  const secs = spec?.leaseDurationSeconds;
  const durationMs = secs && secs > 0 ? secs * 1000 : fallbackMs;
  return now > observedAt + durationMs;
}

/** The fields client-go compares to decide whether the holder has written since we last looked. */
function recordKey(spec: LeaseSpec | undefined): string {
  const s = spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds ?? 0, s.acquireTime ?? '', s.renewTime ?? '', s.leaseTransitions ?? 0, s.strategy ?? '', s.preferredHolder ?? '']);
}

type Attempt = 'held' | 'other' | 'lost' | 'error';

export class LeaderElector {
  private readonly o: LeaderElectorOptions;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;
  private readonly path: string;

  private leading = false;
  /** Bumped whenever leadership starts or ends, so a request that outlived its term changes nothing. */
  private term = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly pause = new WakeableSleep();
  private deadlineTimer?: NodeJS.Timeout;

  /** The last Lease we read or wrote; its resourceVersion is the precondition of our next write. */
  private lease?: Lease;
  private observedKey = '';
  private observedAt = 0;
  private lastRenewAt = 0;
  private reportedLeader = '';

  constructor(opts: LeaderElectorOptions) {
    this.o = opts;
    this.leaseMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseMs > this.renewDeadlineMs)) throw new Error(`leaseDurationMs (${this.leaseMs}) must be greater than renewDeadlineMs (${this.renewDeadlineMs})`);
    if (!(this.renewDeadlineMs > this.retryMs)) throw new Error(`renewDeadlineMs (${this.renewDeadlineMs}) must be greater than retryPeriodMs (${this.retryMs})`);
    if (!opts.identity) throw new Error('identity must not be empty');
    // A request must not outlive the renew deadline by much: a hung renew is a lost one.
    this.requestTimeoutMs = Math.max(1000, Math.floor(this.renewDeadlineMs / 2));
    this.now = opts.now ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases/${encodeURIComponent(opts.name)}`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Plain data for a liveness check: while leading, the last renew that succeeded should never
   * be older than renewDeadline (the deadline timer ends the term then), let alone leaseDuration.
   */
  liveness(): { leading: boolean; lastRenewAt: number; leaseDurationMs: number } {
    return { leading: this.leading, lastRenewAt: this.lastRenewAt, leaseDurationMs: this.leaseMs };
  }

  /** Runs once: an elector that was stopped stays stopped. */
  start(): void {
    if (this.stopped) return;
    this.loop ??= this.run();
  }

  async stop(opts: StopOptions = {}): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.loop;
    this.clearDeadline();
    // Release what the server says we hold, even if the last attempt won it after stop began.
    if ((opts.release ?? true) && this.lease?.spec?.holderIdentity === this.o.identity) await this.release();
    if (this.leading) this.endTerm('stopped');
  }

  private log(msg: string, fields?: object): void {
    try {
      this.o.log?.(msg, { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity, ...fields });
    } catch {
      // a failing logger must not stop the election
    }
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`${what} threw`, { error: (err as Error).message });
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const term = this.term;
      const wasLeading = this.leading;
      const started = this.now();
      let result: Attempt;
      try {
        result = await this.tryAcquireOrRenew(started);
      } catch (err) {
        // tryAcquireOrRenew catches API errors; this is a bug, and still must not end the loop
        this.log('leader election attempt failed unexpectedly', { error: (err as Error).message });
        result = 'error';
      }
      // A term that ended while the request was in flight (deadline, stop) is not revived by it.
      if (this.term === term && !this.stopped) {
        if (result === 'held') {
          this.lastRenewAt = started;
          if (!wasLeading) this.beginTerm();
          this.armDeadline();
        } else if (this.leading) {
          if (result === 'other' || result === 'lost') this.endTerm('another instance holds the lease');
          else if (this.now() - this.lastRenewAt >= this.renewDeadlineMs) this.endTerm('renew deadline passed');
        }
      }
      if (this.stopped) break;
      // Contenders spread their attempts as client-go's JitterUntil does; the leader renews on time.
      await this.pause.sleep(this.leading ? this.retryMs : jittered(this.retryMs, LEASE_RETRY_JITTER));
    }
  }

  private beginTerm(): void {
    this.leading = true;
    this.term++;
    this.log('started leading');
    this.call('onStartedLeading', () => this.o.onStartedLeading());
  }

  private endTerm(why: string): void {
    this.leading = false;
    this.term++;
    this.clearDeadline();
    this.log('stopped leading', { why });
    this.call('onStoppedLeading', () => this.o.onStoppedLeading());
  }

  /** Stops leading the moment the deadline passes, even while a renew request hangs. */
  private armDeadline(): void {
    this.clearDeadline();
    const left = this.lastRenewAt + this.renewDeadlineMs - this.now();
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      if (!this.leading || this.stopped) return;
      if (this.now() - this.lastRenewAt >= this.renewDeadlineMs) this.endTerm('renew deadline passed');
      else this.armDeadline();
    }, Math.max(1, left));
  }

  private clearDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  /** Records what we saw; only a changed record restarts the expiry clock. */
  private observe(lease: Lease, at: number): void {
    this.lease = lease;
    const key = recordKey(lease.spec);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = at;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.log('new leader observed', { holder });
      if (this.o.onNewLeader) this.call('onNewLeader', () => this.o.onNewLeader!(holder));
    }
  }

  private errorFields(err: unknown): object {
    return err instanceof KubeApiError ? { status: err.status, reason: err.reason, error: err.message } : { error: (err as Error).message };
  }

  private mySpec(now: number, previous: LeaseSpec | undefined): LeaseSpec {
    const mine = previous?.holderIdentity === this.o.identity;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      ...previous,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: leaseDurationSeconds(this.leaseMs),
      acquireTime: mine && previous?.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: mine ? transitions : transitions + 1,
    };
  }

  private async put(lease: Lease): Promise<Lease> {
    return this.o.client.request<Lease>('PUT', this.path, { body: lease, timeoutMs: this.requestTimeoutMs });
  }

  private async tryAcquireOrRenew(now: number): Promise<Attempt> {
    // While leading, renew what we last wrote: one request, and its resourceVersion proves
    // nobody wrote in between. Any failure falls back to reading the Lease.
    if (this.leading && this.lease?.spec?.holderIdentity === this.o.identity) {
      try {
        const updated = await this.put({ ...this.lease, spec: this.mySpec(now, this.lease.spec) });
        this.observe(updated, this.now());
        return 'held';
      } catch (err) {
        const expected = err instanceof KubeApiError && (err.status === 409 || err.status === 404);
        if (!expected) {
          this.log('cannot renew the lease', this.errorFields(err));
          return 'error';
        }
      }
    }

    let current: Lease;
    try {
      current = await this.o.client.request<Lease>('GET', this.path, { timeoutMs: this.requestTimeoutMs });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return this.create(now);
      this.log('cannot read the lease', this.errorFields(err));
      return 'error';
    }
    this.observe(current, this.now());

    const holder = current.spec?.holderIdentity ?? '';
    if (holder && holder !== this.o.identity) {
      // Seen by a leader, another holder means it was taken from us: no point waiting out the deadline.
      if (this.leading) return 'lost';
      if (!leaseExpired(this.observedAt, current.spec, this.leaseMs, this.now())) return 'other';
      this.log('lease expired; taking it over', { holder });
    }

    try {
      const updated = await this.put({ ...current, spec: this.mySpec(now, current.spec) });
      this.observe(updated, this.now());
      return 'held';
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) {
        this.log('another instance wrote the lease first');
        return 'other';
      }
      this.log('cannot write the lease', this.errorFields(err));
      return 'error';
    }
  }

  private async create(now: number): Promise<Attempt> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.name, namespace: this.o.namespace },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: leaseDurationSeconds(this.leaseMs),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      const created = await this.o.client.request<Lease>('POST', this.path.slice(0, this.path.lastIndexOf('/')), { body, timeoutMs: this.requestTimeoutMs });
      this.observe(created, this.now());
      return 'held';
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return 'other';
      this.log('cannot create the lease', this.errorFields(err));
      return 'error';
    }
  }

  /** Hands the lease over at once: no holder, and a one-second duration as client-go writes it. */
  private async release(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    const now = this.now();
    try {
      const released = await this.put({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: lease.spec?.leaseTransitions ?? 0,
        },
      });
      this.lease = released;
      this.log('released the lease');
    } catch (err) {
      // A conflict means someone else already holds it; anything else leaves it to expire.
      this.log('cannot release the lease', this.errorFields(err));
    }
  }
}
