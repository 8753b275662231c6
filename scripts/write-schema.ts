// Regenerates schema/mcsync.schema.json from the zod schema (`npm run schema`);
// src/config/json-schema.test.ts fails when the committed file is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/json-schema.ts';

const file = fileURLToPath(new URL('../schema/mcsync.schema.json', import.meta.url));
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
