/**
 * Per-invocation AWS credentials for functions that share one process (serverless-offline's
 * --useInProcess, the workflow tests' in-process handlers). On AWS each function runs in its own
 * sandbox whose AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN are its role's; here one
 * process.env serves them all, so those three variables are read from the invocation's async
 * context instead. The SDK reads them when a client first resolves credentials, inside the
 * handler's call, so each function's clients sign as its own role and nothing in functions/ or
 * shared/ knows.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const VARIABLES = {
  AWS_ACCESS_KEY_ID: 'accessKeyId',
  AWS_SECRET_ACCESS_KEY: 'secretAccessKey',
  AWS_SESSION_TOKEN: 'sessionToken',
};

const storage = new AsyncLocalStorage();
let installed = false;

function install() {
  if (installed) return;
  installed = true;
  const environment = process.env;
  process.env = new Proxy(environment, {
    get(target, name) {
      const credentials = storage.getStore();
      if (credentials !== undefined && typeof name === 'string' && Object.hasOwn(VARIABLES, name)) {
        return credentials[VARIABLES[name]];
      }
      return Reflect.get(target, name);
    },
    // Writes go to the real environment object (its own rules coerce values to strings).
    set(target, name, value) {
      target[name] = value;
      return true;
    },
  });
}

/** Runs `invoke` (and everything it starts) with `credentials` as the AWS_* credential variables. */
export function runWithCredentials(credentials, invoke) {
  install();
  return storage.run(credentials, invoke);
}
