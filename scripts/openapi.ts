/** Writes docs/openapi.json from the route table and the zod schemas (`npm run openapi`); commit the result. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../shared/http/openapi';

const target = join(__dirname, '..', 'docs', 'openapi.json');
writeFileSync(target, serializeOpenApiDocument(buildOpenApiDocument()));
console.log(`wrote ${target}`);
