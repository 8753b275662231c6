// The CDP client's bookkeeping against a stand-in socket: no browser is started here (the status
// page test drives a real one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdpSession, parseDevToolsActivePort, type MessageSocket } from './browser.ts';

class FakeSocket implements MessageSocket {
  readonly sent: { id: number; method: string; params: unknown }[] = [];
  closed = false;
  #message: ((e: { data: unknown }) => void)[] = [];
  #close: (() => void)[] = [];
  send(data: string) { this.sent.push(JSON.parse(data) as never); }
  close() { this.closed = true; }
  addEventListener(type: 'message' | 'close', fn: never) { (type === 'message' ? this.#message : this.#close).push(fn); }
  deliver(msg: unknown) { for (const fn of this.#message) fn({ data: JSON.stringify(msg) }); }
  drop() { for (const fn of this.#close) fn(); }
}

test('DevToolsActivePort gives the port and the browser path; anything else is refused', () => {
  assert.deepEqual(parseDevToolsActivePort('38211\n/devtools/browser/6f1c-aa\n'), { port: 38211, path: '/devtools/browser/6f1c-aa' });
  for (const bad of ['', '38211', '0\n/devtools/browser/x', 'x\n/devtools/browser/x', '70000\n/devtools/browser/x', '38211\n/json']) {
    assert.throws(() => parseDevToolsActivePort(bad), /DevToolsActivePort/, JSON.stringify(bad));
  }
});

test('answers find their commands by id, in whatever order they come; an error names the command', async () => {
  const s = new FakeSocket();
  const cdp = new CdpSession(s);
  const a = cdp.send('Runtime.evaluate', { expression: '1' });
  const b = cdp.send('Page.navigate', { url: 'http://127.0.0.1:1/' });
  const c = cdp.send('Page.captureScreenshot');
  assert.deepEqual(s.sent.map((m) => [m.id, m.method]), [[1, 'Runtime.evaluate'], [2, 'Page.navigate'], [3, 'Page.captureScreenshot']]);
  s.deliver({ id: 2, result: { frameId: 'f' } });
  s.deliver({ id: 3, error: { code: -32000, message: 'Unable to capture', data: 'no frame' } });
  s.deliver({ id: 1, result: { result: { value: 1 } } });
  assert.deepEqual(await b, { frameId: 'f' });
  assert.deepEqual(await a, { result: { value: 1 } });
  await assert.rejects(c, /^HarnessError: Page.captureScreenshot: Unable to capture \(no frame\)$/);
});

test('events reach their listeners; once() takes just the next one', async () => {
  const s = new FakeSocket();
  const cdp = new CdpSession(s);
  const seen: unknown[] = [];
  const off = cdp.on('Page.loadEventFired', (p) => seen.push(p));
  const next = cdp.once<{ timestamp: number }>('Page.loadEventFired');
  s.deliver({ method: 'Page.loadEventFired', params: { timestamp: 1 } });
  s.deliver({ method: 'Page.frameNavigated', params: {} });
  off();
  s.deliver({ method: 'Page.loadEventFired', params: { timestamp: 2 } });
  assert.deepEqual(await next, { timestamp: 1 });
  assert.deepEqual(seen, [{ timestamp: 1 }]);
});

test('a dropped connection rejects what waits and refuses what comes after', async () => {
  const s = new FakeSocket();
  const cdp = new CdpSession(s);
  const waiting = cdp.send('Runtime.evaluate');
  s.drop();
  await assert.rejects(waiting, /Runtime.evaluate: the DevTools connection closed/);
  await assert.rejects(cdp.send('Page.enable'), /Page.enable: the DevTools connection is closed/);
  assert.equal(s.sent.length, 1, 'nothing sent once closed');
});
