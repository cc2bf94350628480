import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generateApiTypes, SCHEMA_FILE, STALE_HINT } from '../scripts/gen-api-types.ts';

it("the console's API types are generated from the current OpenAPI document", async () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8'), STALE_HINT).toBe(await generateApiTypes());
});
