/** Types of credential-scope.mjs (plain JavaScript, so serverless-offline's process can preload it). */
export interface ScopedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function runWithCredentials<T>(credentials: ScopedCredentials, invoke: () => T): T;
