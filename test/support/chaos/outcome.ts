// One run of one scenario, as the table and bench/results/chaos.json report it.
export interface Outcome {
  scenario: string;
  run: number;
  seed: number;
  /** Where in the controller's life, or which variant of the fault, this run hit. */
  variant: string;
  converged: boolean;
  /** Replica addresses lost during the fault, or source endpoints missing at the end. */
  lost: number;
  orphans: number;
  duplicates: number;
  /** From the end of the fault (restart, SIGCONT, new leader) to a fresh plan wanting nothing. */
  convergeMs: number | null;
  /** Write requests the destinations served from the end of the fault to convergence. */
  writes: number;
  extra?: Record<string, unknown>;
}
