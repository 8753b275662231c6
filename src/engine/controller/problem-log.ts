// Report once: a standing problem (a conflict, endpoints refused, a policy that cannot be
// spanned) is logged — and posted as an Event, where the capability posts one — when it
// appears or changes, not on every reconcile of its key. What is remembered is pruned as soon
// as the key has no problem, so names that churn through the fleet do not pile up. Only the
// leader speaks to the clusters: a standby logs, and posts nothing; one that takes over posts
// again, and the apiserver's 409 on an Event name already posted makes that once.
export interface ProblemLogOptions {
  isLeader: () => boolean;
}

export interface Report {
  /** The log line, called when the problem is new or changed. */
  log(): void;
  /** Posts the Events, when the capability has any to post; only called while leading. */
  post?(): Promise<void>;
}

export class ProblemLog<K extends string = string> {
  readonly #last = new Map<K, string>();
  readonly #o: ProblemLogOptions;

  constructor(o: ProblemLogOptions) {
    this.#o = o;
  }

  /** How many keys have a standing problem. */
  get size(): number {
    return this.#last.size;
  }

  /** `text` is the problem's whole description ('' for none); a change of it is reported. */
  async report(key: K, text: string, r: Report): Promise<void> {
    if (text === (this.#last.get(key) ?? '')) return;
    if (text) this.#last.set(key, text);
    else this.#last.delete(key);
    if (!text) return;
    r.log();
    if (r.post && this.#o.isLeader()) await r.post();
  }

  /** The key has nothing of its own left anywhere: forget it. */
  forget(key: K): void {
    this.#last.delete(key);
  }
}
