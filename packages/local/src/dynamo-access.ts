import { localArn, type AccessRequest } from "./iam.ts";

/**
 * What IAM authorizes for one DynamoDB request: `dynamodb:{Operation}` (from `X-Amz-Target`) on each
 * table it names, or on the index a Query or Scan reads. Batch operations name their tables in
 * `RequestItems`, transactions in each item. Undefined when the request names no table (ListTables
 * and the like), which only the operator may make.
 */
export function dynamoAccessRequests(target: string | undefined, body: Buffer): AccessRequest[] | undefined {
  const operation = /^DynamoDB_\d{8}\.([A-Za-z]+)$/.exec(target ?? "")?.[1];
  if (!operation) return undefined;
  let input: DynamoInput;
  try {
    input = JSON.parse(body.toString("utf8")) as DynamoInput;
  } catch {
    return undefined;
  }
  const action = `dynamodb:${operation}`;
  // Transactions are authorized item by item, as the operation each item is (no Transact* action).
  if (input.TransactItems) {
    return input.TransactItems.flatMap((item) =>
      Object.entries(item).flatMap(([kind, part]) =>
        typeof part?.TableName === "string" ? [{ action: `dynamodb:${transactActions[kind] ?? kind}`, resource: localArn.table(part.TableName) }] : [],
      ),
    );
  }
  const tables = new Set<string>();
  if (typeof input.TableName === "string") {
    const table = localArn.table(input.TableName);
    tables.add(typeof input.IndexName === "string" ? `${table}/index/${input.IndexName}` : table);
  }
  for (const name of Object.keys(input.RequestItems ?? {})) tables.add(localArn.table(name));
  return tables.size === 0 ? undefined : [...tables].map((resource) => ({ action, resource }));
}

const transactActions: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem", Get: "GetItem" };

interface DynamoInput {
  readonly TableName?: unknown;
  readonly IndexName?: unknown;
  readonly RequestItems?: Record<string, unknown>;
  readonly TransactItems?: readonly Record<string, { readonly TableName?: unknown } | undefined>[];
}
