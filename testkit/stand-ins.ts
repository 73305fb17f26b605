import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { localCredentials, startStandIns, type StandIns } from "../packages/local/src/standins.ts";

export interface TableStandIns {
  readonly standIns: StandIns;
  /** A client on the stand-ins' DynamoDB that does not retry, so a refusal is seen at once. */
  readonly db: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/**
 * The local stand-ins (dynalite and s3rver behind their strict fronts) in this process, in a data
 * directory of their own, for tests of code that talks to the images table directly.
 */
export async function startTableStandIns(): Promise<TableStandIns> {
  const dataDir = await mkdtemp(join(tmpdir(), "prism-stand-ins-"));
  const standIns = await startStandIns({ dataDir, siteOrigins: [] });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: standIns.dynamoEndpoint, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 }));
  return {
    standIns,
    db,
    async close() {
      db.destroy();
      await standIns.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
