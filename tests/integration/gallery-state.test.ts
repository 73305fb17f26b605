import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localResourceNames } from "../../packages/local/src/names.ts";
import { localCredentials } from "../../packages/local/src/standins.ts";
import { PrismClient } from "../../testkit/api-client.ts";
import { removeDataDir, startStack, type RunningStack } from "../../testkit/local-stack.ts";

// What the gallery page decides from core's image view: whether it has to refresh itself (the
// no-JavaScript `<meta http-equiv="refresh">`) and what it does when DynamoDB fails.
let stack: RunningStack;
let db: DynamoDBDocumentClient;
const refreshMarker = /<meta http-equiv="refresh"/;

beforeAll(async () => {
  stack = await startStack();
  const endpoint = /table \(DynamoDB, this machine only\): (http:\/\/\S+)/.exec(stack.output())?.[1];
  if (!endpoint) throw new Error(`the stack did not print its DynamoDB endpoint:\n${stack.output()}`);
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials, maxAttempts: 1 }));
});

afterAll(async () => {
  db?.destroy();
  await stack?.kill();
  if (stack) await removeDataDir(stack.dataDir);
});

async function gallery(client: PrismClient): Promise<{ status: number; html: string }> {
  const response = await client.request("/");
  return { status: response.status, html: await response.text() };
}

describe("the gallery page", () => {
  it("does not refresh itself for an abandoned upload, and does while an upload is under way", async () => {
    const client = new PrismClient(stack.url);
    const { body } = await client.createUpload({ filename: "never-sent.jpg", contentType: "image/jpeg", size: 1000 });
    // The URL expired an hour ago and the file never came: nothing about this image will change.
    await db.send(
      new UpdateCommand({
        TableName: localResourceNames.Images,
        Key: { imageId: body.imageId },
        UpdateExpression: "SET uploadedAt = :then",
        ExpressionAttributeValues: { ":then": new Date(Date.now() - 60 * 60_000).toISOString() },
      }),
    );
    const abandoned = await gallery(client);
    expect(abandoned.status).toBe(200);
    expect(abandoned.html).not.toMatch(refreshMarker);
    expect(abandoned.html).toContain(`data-image-id="${body.imageId}" data-status="abandoned" data-settled="true"`);

    await client.createUpload({ filename: "on-its-way.jpg", contentType: "image/jpeg", size: 1000 });
    const waiting = await gallery(client);
    expect(waiting.html).toMatch(refreshMarker);
    expect(waiting.html).toContain(`data-settled="false"`);
  });

  // Last: it removes the table from under the running stack.
  it("answers an error, not an empty gallery, when DynamoDB fails", async () => {
    const client = new PrismClient(stack.url);
    await client.createUpload({ filename: "kept.jpg", contentType: "image/jpeg", size: 1000 });
    await db.send(new DeleteTableCommand({ TableName: localResourceNames.Images }));
    for (const path of ["/", "/?cursor=eyJ4IjoxfQ"]) {
      const response = await client.request(path);
      expect(response.status, path).toBe(500);
      expect(await response.text(), path).not.toContain('id="gallery"');
    }
    const api = await client.json<{ error: { code: string } }>("/api/images");
    expect(api).toMatchObject({ status: 500, body: { error: { code: "internal_error" } } });
  });
});
