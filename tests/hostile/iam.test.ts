import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerIndexName } from "@prism/core/images";
import { originalKey } from "@prism/core/keys";
import { principalCredentials, type LocalPrincipal } from "../../packages/local/src/iam.ts";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { startStandIns, type StandIns } from "../../packages/local/src/standins.ts";
import { PrismClient } from "../../testkit/api-client.ts";
import { photoJpeg } from "../../testkit/fixtures.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// The stand-ins refuse what each function's declared grants (@prism/core/grants, the declaration
// infra/ deploys) do not allow, as AWS does, so a missing grant fails here instead of in a deployment.

describe("the fronts hold each function to its grants", () => {
  let dataDir: string;
  let standIns: StandIns;
  const clients: { destroy(): void }[] = [];
  const s3As = (principal: LocalPrincipal) => {
    const client = new S3Client({ endpoint: standIns.s3Endpoint, region: "us-east-1", forcePathStyle: true, credentials: principalCredentials[principal], maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  const dbAs = (principal: LocalPrincipal) => {
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: standIns.dynamoEndpoint, region: "us-east-1", credentials: principalCredentials[principal], maxAttempts: 1 }),
    );
    clients.push(client);
    return client;
  };
  const uploads = localResourceNames.Uploads;
  const imageId = "0b8f3c2e-1111-4222-8333-944455556666";

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "prism-iam-"));
    standIns = await startStandIns({ dataDir, siteOrigins: [] });
    await s3As("operator").send(new PutObjectCommand({ Bucket: uploads, Key: originalKey(imageId), Body: "original bytes" }));
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await standIns?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("lets the processor read an original and refuses the site, with S3's AccessDenied naming the action and resource", async () => {
    const read = new GetObjectCommand({ Bucket: uploads, Key: originalKey(imageId) });
    expect(await (await s3As("processor").send(read)).Body?.transformToString()).toBe("original bytes");
    const refused = await s3As("site").send(read).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    expect((refused as Error).message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/prism-local-site/site is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${uploads}/${originalKey(imageId)}" because no identity-based policy allows the s3:GetObject action`,
    );
  });

  it("answers a missing key 404 only to a caller that may list the bucket (S3 says 403 to the others)", async () => {
    const missing = new GetObjectCommand({ Bucket: uploads, Key: originalKey("0b8f3c2e-1111-4222-8333-000000000000") });
    await expect(s3As("processor").send(missing)).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    // The CDN is granted the listing (@prism/core/grants cdnGrants) so that a deleted variant is a
    // 404 to viewers; without it, this is 403 AccessDenied.
    const variant = new GetObjectCommand({ Bucket: localResourceNames.WebP, Key: `webp/${imageId}/r000000000000/640.webp` });
    await expect(s3As("cdn").send(variant)).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
  });

  it("refuses a listing without the s3:prefix its grant is conditioned on", async () => {
    await expect(s3As("site").send(new ListObjectsV2Command({ Bucket: uploads }))).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(s3As("processor").send(new ListObjectsV2Command({ Bucket: uploads, Prefix: "originals/" }))).resolves.toBeDefined();
  });

  it("lets the transformer read originals and read, write and take back transforms, and nothing else; the site only lists and deletes them", async () => {
    const transforms = localResourceNames.Transforms;
    const key = `t/${imageId}/${"A".repeat(43)}/w_10/webp`;
    const transformer = s3As("transformer");
    await expect(transformer.send(new GetObjectCommand({ Bucket: uploads, Key: originalKey(imageId) }))).resolves.toBeDefined();
    await expect(transformer.send(new PutObjectCommand({ Bucket: transforms, Key: key, Body: "made" }))).resolves.toBeDefined();
    expect(await (await transformer.send(new GetObjectCommand({ Bucket: transforms, Key: key }))).Body?.transformToString()).toBe("made");
    // Listing both buckets: a missing original or transform is a 404, not a 403.
    await expect(transformer.send(new GetObjectCommand({ Bucket: transforms, Key: `${key}x` }))).rejects.toMatchObject({ name: "NoSuchKey" });
    await expect(transformer.send(new GetObjectCommand({ Bucket: uploads, Key: originalKey("0b8f3c2e-1111-4222-8333-000000000000") }))).rejects.toMatchObject({ name: "NoSuchKey" });
    for (const refused of [
      new PutObjectCommand({ Bucket: uploads, Key: originalKey(imageId), Body: "overwritten" }),
      new PutObjectCommand({ Bucket: localResourceNames.WebP, Key: `webp/${imageId}/r000000000000/640.webp`, Body: "x" }),
      new DeleteObjectCommand({ Bucket: uploads, Key: originalKey(imageId) }),
      new PutObjectCommand({ Bucket: transforms, Key: "elsewhere", Body: "x" }),
      new DeleteObjectCommand({ Bucket: transforms, Key: "elsewhere" }),
    ]) {
      await expect(transformer.send(refused as PutObjectCommand)).rejects.toMatchObject({ name: "AccessDenied" });
    }
    const site = s3As("site");
    await expect(site.send(new PutObjectCommand({ Bucket: transforms, Key: key, Body: "x" }))).rejects.toMatchObject({ name: "AccessDenied" });
    await expect(site.send(new ListObjectsV2Command({ Bucket: transforms, Prefix: `t/${imageId}/` }))).resolves.toMatchObject({ KeyCount: 1 });
    await expect(site.send(new DeleteObjectCommand({ Bucket: transforms, Key: key }))).resolves.toBeDefined();
  });

  it("refuses a copy whose source the signer may not read (a PUT naming another object)", async () => {
    const copy = s3As("site").send(
      new PutObjectCommand({ Bucket: uploads, Key: originalKey("0b8f3c2e-1111-4222-8333-777777777777") }),
    );
    // A plain PUT of an original is the site's to make...
    await expect(copy).resolves.toBeDefined();
    // ...but not one that copies another original into it (`x-amz-copy-source` needs s3:GetObject on the source).
    const { CopyObjectCommand } = await import("@aws-sdk/client-s3");
    await expect(
      s3As("site").send(new CopyObjectCommand({ Bucket: uploads, Key: originalKey("0b8f3c2e-1111-4222-8333-888888888888"), CopySource: `${uploads}/${originalKey(imageId)}` })),
    ).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
  });

  it("holds DynamoDB calls to the table or index each grant names, with DynamoDB's AccessDeniedException", async () => {
    const TableName = localResourceNames.Images;
    await expect(dbAs("site").send(new GetCommand({ TableName, Key: { imageId } }))).resolves.toBeDefined();
    await expect(dbAs("site").send(new QueryCommand({ TableName, IndexName: ownerIndexName, KeyConditionExpression: "ownerId = :o", ExpressionAttributeValues: { ":o": "x" } }))).resolves.toBeDefined();
    // The site queries the owner index only, never the table, and never scans.
    await expect(dbAs("site").send(new ScanCommand({ TableName }))).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    await expect(dbAs("reprocess").send(new ScanCommand({ TableName }))).resolves.toBeDefined();
    // The dead-letter consumer may only update records.
    await expect(dbAs("deadLetters").send(new GetCommand({ TableName, Key: { imageId } }))).rejects.toMatchObject({ name: "AccessDeniedException" });
    // BatchGetItem is its own action: the site is granted it, the processor is not.
    const batch = new BatchGetCommand({ RequestItems: { [TableName]: { Keys: [{ imageId }] } } });
    await expect(dbAs("site").send(batch)).resolves.toBeDefined();
    await expect(dbAs("processor").send(batch)).rejects.toThrow(/is not authorized to perform: dynamodb:BatchGetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/prism-images/);
  });
});

describe("the stack runs each function with its own credentials", () => {
  let stack: RunningStack;

  beforeAll(async () => {
    // Room for two uploads in flight per visitor: the third request finds the set full of finished
    // uploads, and the site must look them up (BatchGetItem) to drop them.
    stack = await startStack({ env: { PRISM_UPLOADS_IN_FLIGHT: "2" } });
  });
  afterAll(async () => {
    await stack?.stop();
    if (stack) await removeDataDir(stack.dataDir);
  });

  it("admits a visitor's next upload once the uploads filling its in-flight set are ready", async () => {
    const client = new PrismClient(stack.url);
    for (const seed of [1, 2]) {
      const imageId = await client.upload(await photoJpeg(64, 48, seed), `photo-${seed}.jpg`, "image/jpeg");
      expect((await client.waitForFinished(imageId)).status).toBe("ready");
    }
    const third = await client.createUpload({ filename: "photo-3.jpg", contentType: "image/jpeg", size: 1000 });
    expect(third.status, JSON.stringify(third.body)).toBe(201);
  });
});
