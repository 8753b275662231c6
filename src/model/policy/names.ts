// Names and back-pointers of companion NetworkPolicies: `<user name>-mcsync-<hash8(remote)>-<n>`,
// a DNS subdomain of at most 253 characters. The remote is hashed because a cluster name may
// hold characters a name may not (upper case, `_`).
import { hash8 } from '../canonical.ts';

const MAX_NAME = 253;
const MAX_LABEL_VALUE = 63;

/**
 * The name of part `n` (from 1) of the companion of `userName` for `remote`. A user name too
 * long to fit is cut and followed by the hash of the whole name, so two long names that share
 * a beginning never share companions.
 */
export function companionName(userName: string, remote: string, n: number): string {
  const suffix = `-mcsync-${hash8(remote)}-${n}`;
  if (userName.length + suffix.length <= MAX_NAME) return `${userName}${suffix}`;
  const room = MAX_NAME - suffix.length - 9;
  // A cut that ends in "-" or "." would leave an empty or malformed DNS label before ours.
  const head = userName.slice(0, room).replace(/[-.]+$/, '');
  return `${head}-${hash8(userName)}${suffix}`;
}

/** The value of the companion-of label: the user's policy name, or its hash when too long for a label. */
export function companionOfLabel(userName: string): string {
  return userName.length <= MAX_LABEL_VALUE ? userName : hash8(userName);
}

/** The companion-of annotation: "<namespace>/<name>" of the user's policy. */
export function companionOfAnnotation(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
