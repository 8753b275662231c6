// Waiting, for loops that retry. A loop that sleeps out a backoff must still stop at once when
// asked to: a WakeableSleep is one sleep at a time that wake() ends early.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class WakeableSleep {
  #wake?: () => void;

  /** Resolves after `ms`, or as soon as wake() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wake = undefined; resolve(); }, ms);
      this.#wake = () => { clearTimeout(t); this.#wake = undefined; resolve(); };
    });
  }

  /** Ends the current sleep, if there is one. */
  wake(): void {
    this.#wake?.();
  }
}
