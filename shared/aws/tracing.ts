/**
 * X-Ray for the workflow's AWS calls. The SDK clients the steps use are captured by Powertools
 * Tracer, so each call (service, operation, retries, error code) is a subsegment of the step that
 * made it; `stepSegment` gives each workflow step a subsegment of its own, annotated with
 * the environment, team and step, so a trace is found by environment id. Lambda's own segment is a
 * facade that takes no annotations, hence the subsegment (X-Ray developer guide, "Instrumenting
 * Node.js code in AWS Lambda").
 *
 * Tracer switches itself off outside Lambda (no AWS_EXECUTION_ENV, as under serverless-offline and in
 * tests) and then hands clients back untouched. The API functions carry no X-Ray SDK (≈120 KB and
 * its init, which `npm run bench -- cold-start` measures as a floor): API Gateway's and Lambda's own
 * segments time them, so the clients they use (shared/aws/tasks.ts, observe.ts, events.ts and the
 * DynamoDB and Step Functions clients of shared/wiring) stay uncaptured.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = /* @__PURE__ */ new Tracer({ serviceName: 'berth' });

/** The client, its calls traced (unchanged when tracing is off). Mark calls `/* @__PURE__ *\/`. */
export function traced<Client>(client: Client): Client {
  return tracer.captureAWSv3Client(client);
}

/** Runs a step inside a subsegment `## <step>` carrying its annotations; errors are recorded on it. */
export async function stepSegment<T>(
  step: string,
  annotations: Record<string, string>,
  run: () => Promise<T>,
): Promise<T> {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (parent === undefined) return run();
  const segment = parent.addNewSubsegment(`## ${step}`);
  tracer.setSegment(segment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  for (const [key, value] of Object.entries(annotations)) tracer.putAnnotation(key, value);
  try {
    return await run();
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    segment.close();
    tracer.setSegment(parent);
  }
}
