import { publicHandler } from '../../shared/http/handler';

/** GET /health → 200 without auth: the API and its function are up (dependencies are not probed). */
export const handler = publicHandler(async () => ({ status: 200, body: { status: 'ok' } }));
