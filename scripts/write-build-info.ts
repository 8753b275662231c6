// Part of `npm run build`: records the git commit the build is made from in
// dist/src/cli/build-info.json, which the package ships and `mcsync version` reads (an
// installed package has no .git to ask).
import { fileURLToPath } from 'node:url';
import { writeBuildRecord } from '../src/cli/build-info.ts';

writeBuildRecord(fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(new URL('../dist/src/cli/build-info.json', import.meta.url)));
