// Kubernetes' syntax for names, label keys and label values, in one place: the config's checks
// and the label selector parser accept exactly the same keys and values.

/** RFC 1123 label: a namespace, an mcsync instance. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: the optional prefix of a label key (length checked by keyProblem). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The name part of a label or annotation key, and a non-empty label value (at most 63 each). */
export const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const MAX_PREFIX = 253;
const MAX_NAME = 63;

/** Kubernetes' qualified-name rule, shared by label and annotation keys; undefined when valid. */
export function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'has more than one "/"';
  const name = parts.at(-1)!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length > MAX_PREFIX || !DNS_SUBDOMAIN.test(prefix))) {
    return 'has a prefix that is not a DNS subdomain (lower-case letters, digits, - and ., at most 253)';
  }
  if (name.length > MAX_NAME || !QUALIFIED_NAME.test(name)) {
    return 'must be at most 63 letters, digits, -, _ and . (after an optional "prefix/"), starting and ending alphanumeric';
  }
  return undefined;
}

/** A label value may be empty; otherwise it is a qualified name without a prefix. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= MAX_NAME && QUALIFIED_NAME.test(value));
}

/** An RFC 1123 label: what a namespace or Service name must be. */
export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}
