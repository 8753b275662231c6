// The modes the peer comparison runs each tool in, and how their results are keyed.
// push: one mcsync process; Karmada's controller-manager dials every member.
// pull: one mcsync per consumer (--local-cluster); a karmada-agent in every member.

export type Mode = 'push' | 'pull';
export const MODES: readonly Mode[] = ['push', 'pull'];

/** The modes --mode names, in the order given, each once. */
export function parseModes(list: string): Mode[] {
  const modes = list.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) if (!(MODES as readonly string[]).includes(m)) throw new Error(`--mode: ${m} is neither push nor pull`);
  if (modes.length === 0) throw new Error('--mode: name push, pull or push,pull');
  return [...new Set(modes)] as Mode[];
}

/** Where a run's ratios go: push keeps the key it always had, so older results read the same. */
export function ratioKey(mode: Mode, consumers: number): string {
  return mode === 'push' ? `${consumers} consumer(s)` : `${mode}, ${consumers} consumer(s)`;
}
