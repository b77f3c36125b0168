/**
 * A pass-through HTTP proxy in front of DynamoDB Local that counts what the handlers ask of the
 * table, so the workflow benchmark can price DynamoDB on-demand requests from what was really sent.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynamoDbCounts {
  /** Requests by operation (`GetItem`, `UpdateItem`, `TransactWriteItems`…). */
  operations: Record<string, number>;
  /** Items written (a transaction counts each of its items). */
  itemWrites: number;
  /** Of them, inside TransactWriteItems (AWS charges those twice). */
  transactionalItemWrites: number;
  /** Reads asking for strong consistency (GetItem/Query with ConsistentRead, TransactGetItems). */
  strongReads: number;
  eventualReads: number;
}

export interface DynamoDbCounter {
  endpoint: string;
  counts(): DynamoDbCounts;
  reset(): void;
  close(): Promise<void>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan']);

function emptyCounts(): DynamoDbCounts {
  return { operations: {}, itemWrites: 0, transactionalItemWrites: 0, strongReads: 0, eventualReads: 0 };
}

function record(counts: DynamoDbCounts, operation: string, body: string): void {
  counts.operations[operation] = (counts.operations[operation] ?? 0) + 1;
  let input: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) input = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: counted by name only.
  }
  if (WRITES.has(operation)) counts.itemWrites += 1;
  if (operation === 'TransactWriteItems' || operation === 'BatchWriteItem') {
    const items = Array.isArray(input.TransactItems)
      ? input.TransactItems.length
      : Object.values((input.RequestItems as Record<string, unknown[]> | undefined) ?? {}).reduce(
          (sum, list) => sum + (Array.isArray(list) ? list.length : 0),
          0,
        );
    counts.itemWrites += items;
    if (operation === 'TransactWriteItems') counts.transactionalItemWrites += items;
  }
  if (READS.has(operation)) {
    if (input.ConsistentRead === true) counts.strongReads += 1;
    else counts.eventualReads += 1;
  }
  if (operation === 'TransactGetItems') counts.strongReads += 1;
}

export async function startDynamoDbCounter(target: string): Promise<DynamoDbCounter> {
  let counts = emptyCounts();
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = incoming.headers['x-amz-target'];
      const operation = typeof targetHeader === 'string' ? (targetHeader.split('.')[1] ?? targetHeader) : '?';
      record(counts, operation, body.toString('utf8'));
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
