import document from '../../docs/openapi.json';
import { publicHandler } from '../../shared/http/handler';

/**
 * GET /openapi.json → the OpenAPI 3.1 description. It is generated from the zod schemas into
 * docs/openapi.json (`npm run openapi`; a unit test fails while the committed file is stale), so
 * the function bundles the document instead of zod and every schema, and builds nothing at init.
 */
export const handler = publicHandler(async () => ({ status: 200, body: document }));
