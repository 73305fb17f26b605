import type { EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import S3rver from "s3rver";
import { ownerIndexName } from "@prism/core/images";
import { LocalTableStream } from "./dynamo-stream.ts";
import { loopback, startDynamoFront, startS3Front } from "./fronts.ts";
import { allCredentials, operatorCredentials } from "./iam.ts";
import { localResourceNames, variantRoutes } from "./names.ts";

/** The part of an s3rver event notification the bridge reads (keys arrive not URL-encoded). */
export interface S3rverNotification {
  readonly Records: readonly {
    readonly eventName: string;
    readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string } };
  }[];
}

export interface StandIns {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /** The images table's stream (NEW_AND_OLD_IMAGES, as infra/storage.ts enables it), which dynalite lacks. */
  readonly imagesStream: LocalTableStream;
  onS3Event(listener: (event: S3rverNotification) => void): void;
  close(): Promise<void>;
}

/** The stand-ins' administrator credentials (./iam.ts `operator`): the stack's set-up, tests and the AWS CLI. */
export const localCredentials = operatorCredentials;

/**
 * Starts the embedded S3 (s3rver) and DynamoDB (dynalite), persisting under `dataDir`, each behind a
 * strict front (./fronts.ts), and creates the buckets and the table under the names the links use.
 * All of it listens on loopback only, whatever address the site listens on: these are stand-ins
 * with public credentials, never something to offer the network.
 */
export async function startStandIns(options: { dataDir: string; siteOrigins: readonly string[] }): Promise<StandIns> {
  await mkdir(join(options.dataDir, "s3"), { recursive: true });
  const s3 = new S3rver({
    address: loopback,
    port: 0,
    silent: true,
    directory: join(options.dataDir, "s3"),
    configureBuckets: [
      // CORS is the front's to answer, for the site's origins only.
      ...[localResourceNames.Uploads, localResourceNames.Transforms, ...Object.values(variantRoutes)].map((name) => ({ name, configs: [] })),
    ],
  });
  serializeDeletes(s3);
  registerKeys(allCredentials);
  const s3Address = await s3.run();

  const dynamo = dynalite({ path: join(options.dataDir, "dynamodb"), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(0, loopback, () => resolve());
  });
  const s3Front = await startS3Front({ target: { port: s3Address.port }, credentials: allCredentials, siteOrigins: options.siteOrigins, s3rverDirectory: join(options.dataDir, "s3") });
  await mkdir(join(options.dataDir, "streams"), { recursive: true });
  const imagesStream = new LocalTableStream(localResourceNames.Images, {
    records: join(options.dataDir, "streams", `${localResourceNames.Images}.jsonl`),
    checkpoint: join(options.dataDir, "streams", `${localResourceNames.Images}.checkpoint`),
  });
  const dynamoFront = await startDynamoFront({
    target: { port: (dynamo.address() as AddressInfo).port },
    credentials: allCredentials,
    streams: [{ stream: imagesStream, keyAttributes: ["imageId"] }],
  });
  const standIns: StandIns = {
    s3Endpoint: s3Front.endpoint,
    dynamoEndpoint: dynamoFront.endpoint,
    imagesStream,
    // s3rver is a Koa app and so an EventEmitter; its typings leave that out.
    onS3Event: (listener) => void (s3 as unknown as EventEmitter).on("event", listener),
    async close() {
      await Promise.allSettled([s3Front.close(), dynamoFront.close()]);
      await Promise.allSettled([s3.close(), new Promise<void>((resolve) => dynamo.close(() => resolve()))]);
    },
  };
  await createImagesTable(standIns.dynamoEndpoint);
  return standIns;
}

/**
 * s3rver knows only its own S3RVER key; the front, which checks every signature and grant first,
 * forwards requests signed by each function's own key, so s3rver must know those keys too.
 */
function registerKeys(credentials: readonly { accessKeyId: string; secretAccessKey: string }[]): void {
  const { DUMMY_ACCOUNT } = createRequire(import.meta.url)("s3rver/lib/models/account.js") as {
    DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
  };
  for (const { accessKeyId, secretAccessKey } of credentials) DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
}

/**
 * s3rver deletes the keys of one DeleteObjects request all at once, and each removes the directories
 * it emptied: two keys of the same directory then race to remove it, and the loser's ENOENT answers
 * the whole request 500. One object delete at a time keeps the stand-in's answer what S3's would be.
 */
function serializeDeletes(s3: S3rver): void {
  const store = (s3 as unknown as { store: { deleteObject(bucket: string, key: string): Promise<void> } }).store;
  const deleteObject = store.deleteObject.bind(store);
  let queue: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const deleted = queue.then(() => deleteObject(bucket, key));
    queue = deleted.catch(() => undefined);
    return deleted;
  };
}

/** The table as infra/storage.ts declares it: imageId key, owner/upload-time index, pending TTL. */
export async function createImagesTable(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials });
  const TableName = localResourceNames.Images;
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "imageId", AttributeType: "S" },
          { AttributeName: "ownerId", AttributeType: "S" },
          { AttributeName: "uploadedAt", AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: "imageId", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: ownerIndexName,
            KeySchema: [
              { AttributeName: "ownerId", KeyType: "HASH" },
              { AttributeName: "uploadedAt", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName }));
  // dynalite stores the TTL setting but never expires items; that is fine offline.
  await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true } })).catch(() => undefined);
  client.destroy();
}
