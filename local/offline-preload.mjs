/**
 * Preloaded into serverless-offline's process by the local stack (node --import): each function's
 * invocation runs with the credentials the simulated AWS issued for that function's role
 * (BERTH_FUNCTION_CREDENTIALS, by deployed function name), as Lambda gives each function its role's.
 * serverless-offline has no hook for it, so its in-process runner's `run` is wrapped: the Lambda
 * context it receives names the function. An invocation of a function without credentials fails,
 * rather than calling AWS as somebody else.
 */
import { runWithCredentials } from './credential-scope.mjs';

const table = JSON.parse(process.env.BERTH_FUNCTION_CREDENTIALS ?? 'null');

if (table !== null) {
  const runnerUrl = new URL(
    '../node_modules/serverless-offline/src/lambda/handler-runner/in-process-runner/InProcessRunner.js',
    import.meta.url,
  );
  const { default: InProcessRunner } = await import(runnerUrl.href);
  const run = InProcessRunner.prototype.run;
  InProcessRunner.prototype.run = function runAsFunctionRole(event, context) {
    const credentials = table[context?.functionName];
    if (credentials === undefined) {
      return Promise.reject(
        new Error(`local stack: no credentials were issued for ${context?.functionName}`),
      );
    }
    return runWithCredentials(credentials, () => run.call(this, event, context));
  };
}
