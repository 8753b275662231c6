// `npm run demo` shows the replicas (figure-one.ts); `npm run demo -- --dataplane` shows traffic
// crossing a real flat network to them (dataplane.ts).
if (process.argv.includes('--dataplane')) await import('./dataplane.ts');
else await import('./figure-one.ts');
