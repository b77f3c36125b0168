/** A use case that answers "not now" reaches the caller as 429 problem+json with Retry-After. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { UseCaseError } from '../../shared/app/errors';
import { publicHandler } from '../../shared/http/handler';

const event = {
  httpMethod: 'GET',
  path: '/environments/env-1/drift',
  headers: {},
  body: null,
  isBase64Encoded: false,
  pathParameters: { id: 'env-1' },
  queryStringParameters: null,
  requestContext: {},
} as unknown as APIGatewayProxyEvent;

it('answers a rate-limited use case with 429, its problem type and Retry-After in seconds', async () => {
  // Prepare
  const handler = publicHandler(async () => {
    throw new UseCaseError('rate-limited', 'Too Many Requests', 'ask again in 7 s', undefined, 7);
  });

  // Act
  const response = await handler(event, {} as Context);

  // Assess
  expect(response.statusCode).toBe(429);
  expect(response.headers).toMatchObject({ 'Retry-After': '7' });
  expect(JSON.parse(response.body)).toMatchObject({
    type: 'urn:berth:problem:rate-limited',
    status: 429,
    detail: 'ask again in 7 s',
  });
});
