import { publicHandler } from '../../shared/http/handler';
import { buildOpenApiDocument } from '../../shared/http/openapi';

/** Built once per container: the document only changes with a deploy. */
const document = buildOpenApiDocument();

/** GET /openapi.json → the OpenAPI 3.1 description generated from the zod schemas. */
export const handler = publicHandler(async () => ({ status: 200, body: document }));
