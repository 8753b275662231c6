import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressBlocks } from './blocks.ts';

test('a lone address is a /32 or a /128', () => {
  assert.deepEqual(addressBlocks(['10.0.0.7']), ['10.0.0.7/32']);
  assert.deepEqual(addressBlocks(['fd00::7']), ['fd00::7/128']);
});

test('IPv4 first, then IPv6, each in address order (not text order), duplicates once however written', () => {
  assert.deepEqual(addressBlocks(['fd00::9', '10.0.0.10', '10.0.0.9', 'fd00:0::9', '10.0.0.10']), ['10.0.0.9/32', '10.0.0.10/32', 'fd00::9/128']);
});

test('merged only where every address of the wider block is given', () => {
  assert.deepEqual(addressBlocks(['10.0.0.4', '10.0.0.5']), ['10.0.0.4/31']);
  // .5 and .6 are adjacent but no aligned /31 holds both.
  assert.deepEqual(addressBlocks(['10.0.0.5', '10.0.0.6']), ['10.0.0.5/32', '10.0.0.6/32']);
  assert.deepEqual(addressBlocks(['10.0.0.4', '10.0.0.5', '10.0.0.6']), ['10.0.0.4/31', '10.0.0.6/32']);
  const all = Array.from({ length: 256 }, (_, i) => `10.1.2.${i}`);
  assert.deepEqual(addressBlocks(all), ['10.1.2.0/24']);
  assert.deepEqual(addressBlocks(all.slice(1)), ['10.1.2.1/32', '10.1.2.2/31', '10.1.2.4/30', '10.1.2.8/29', '10.1.2.16/28', '10.1.2.32/27', '10.1.2.64/26', '10.1.2.128/25']);
  assert.deepEqual(addressBlocks(['fd00::', 'fd00::1', 'fd00::2', 'fd00::3']), ['fd00::/126']);
});

test('text that is not an address is dropped', () => {
  assert.deepEqual(addressBlocks(['not-an-ip', '', '10.0.0.1']), ['10.0.0.1/32']);
});
