// The address and CIDR arithmetic lives in vocab/ so config validation can use it too.
export * from '../vocab/cidr.ts';
