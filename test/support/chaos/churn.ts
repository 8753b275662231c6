// Steady pod churn in the source cluster: readiness flips, pods added and removed, one change
// at a time at a fixed pace. Pausable, so a convergence check sees a source that holds still.
import type { Pods } from '../../../harness/src/workload/pods.ts';
import type { Rng } from './prng.ts';

export class Churn {
  changes = 0;
  errors = 0;
  private paused = false;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();
  private loop?: Promise<void>;
  private serial = 0;

  private readonly pods: Pods;
  private readonly ns: string;
  /** Pod names per service, kept in step with what this churn did. */
  private readonly members: Map<string, string[]>;
  private readonly r: Rng;
  private readonly intervalMs: number;

  constructor(pods: Pods, ns: string, members: Map<string, string[]>, r: Rng, intervalMs = 100) {
    this.pods = pods;
    this.ns = ns;
    this.members = members;
    this.r = r;
    this.intervalMs = intervalMs;
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        if (!this.paused) {
          this.inFlight = this.step().then(() => { this.changes++; }, () => { this.errors++; });
          await this.inFlight;
        }
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  /** Resolves once the change in flight (if any) has landed. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.inFlight;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** n changes now, one after another, whatever the pause state: a change right after a fault. */
  async burst(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.step().then(() => { this.changes++; }, () => { this.errors++; });
  }

  private async step(): Promise<void> {
    const svc = this.r.pick([...this.members.keys()]);
    const names = this.members.get(svc)!;
    const roll = this.r.next();
    if (roll < 0.6 && names.length > 0) {
      await this.pods.setReady(this.ns, this.r.pick(names), this.r.next() < 0.7);
    } else if (roll < 0.8 && names.length > 1) {
      const victim = this.r.pick(names);
      names.splice(names.indexOf(victim), 1);
      await this.pods.delete(this.ns, victim);
    } else {
      const name = `${svc}-c${this.r.seed.toString(36)}-${this.serial++}`;
      names.push(name);
      await this.pods.create({ namespace: this.ns, name, labels: { app: svc } });
    }
  }
}
