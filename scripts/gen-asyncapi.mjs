// Writes docs/asyncapi.yaml from the wire schemas (src/server/asyncapi.ts, compiled to dist/).
// Run with `npm run docs:asyncapi`; test/unit/api-docs.test.ts fails while the file is out of date.
import { writeFileSync } from 'node:fs';
import { asyncApiYaml } from '../dist/server/asyncapi.js';

writeFileSync(new URL('../docs/asyncapi.yaml', import.meta.url), asyncApiYaml());
console.log('wrote docs/asyncapi.yaml');
