#!/usr/bin/env node
// Regenerate docs/spec.md and docs/spec.schema.json from the zod schema (src/spec/schema.ts).
// Run after `npm run build`: node scripts/spec-reference.mjs. test/spec/reference.test.ts fails while either is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { specJsonSchemaText, specMarkdown } = await import(join(root, 'dist/src/spec/reference.js'));
writeFileSync(join(root, 'docs/spec.schema.json'), specJsonSchemaText());
writeFileSync(join(root, 'docs/spec.md'), specMarkdown());
console.log('wrote docs/spec.md and docs/spec.schema.json');
