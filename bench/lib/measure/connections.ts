// What a process holds open, read from /proc: its established TCP connections by remote port,
// so a benchmark can say how many connections a controller keeps to each apiserver.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** Established TCP connections of `pid`, counted by remote port. */
export function connectionsByRemotePort(pid: number): Map<number, number> {
  const mine = socketInodes(pid);
  const counts = new Map<number, number>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '01' || !mine.has(f[9]!)) continue; // 01: ESTABLISHED
      const port = parseInt(f[2]!.split(':').pop()!, 16);
      counts.set(port, (counts.get(port) ?? 0) + 1);
    }
  }
  return counts;
}
