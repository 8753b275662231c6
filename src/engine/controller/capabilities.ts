// Every capability of `mcsync run`, one line each, in the order their queues start. A new one
// is a file implementing capability.ts, its pure model/ folder, and a line here.
import type { CapabilityFactory } from './capability.ts';
import { imports } from './imports.ts';
import { policies } from './policies.ts';
import { replicas } from './replicas.ts';

export const CAPABILITIES: readonly CapabilityFactory[] = [
  replicas,
  imports,
  policies,
];
