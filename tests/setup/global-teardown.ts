/** Stops the DynamoDB Local that global-setup.ts started (never one it found already running). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.berthDynamoDbLocal?.stop();
  globalThis.berthDynamoDbLocal = undefined;
}
