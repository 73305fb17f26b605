import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBridgePublisher, eventFromChange } from "@prism/core/events";
import { ImageRepository, type ImageRecord } from "@prism/core/images";
import { StreamDelivery, LocalTableStream } from "../src/dynamo-stream.ts";
import { LocalEventBus, type BusEnvelope } from "../src/event-bus.ts";
import { startEventBridgeFront } from "../src/eventbridge-front.ts";
import type { Front } from "../src/fronts.ts";
import { allCredentials, principalCredentials, type LocalPrincipal } from "../src/iam.ts";
import { localResourceNames } from "../src/names.ts";
import { startStandIns, type StandIns } from "../src/standins.ts";

const silent = { warn: () => undefined, error: () => undefined };
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "prism-events-offline-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const ready: ImageRecord = {
  imageId: "00000000-0000-4000-8000-0000000000e1",
  ownerId: "visitor-1",
  status: "ready",
  filename: "a.jpg",
  contentType: "image/jpeg",
  size: 10,
  uploadedAt: "2026-03-01T12:00:00.000Z",
  processedAt: "2026-03-01T12:00:04.000Z",
  variants: [],
};

describe("the offline EventBridge front holds the publisher to its grants and fans events out", () => {
  let bus: LocalEventBus;
  let front: Front;
  const client = (principal: LocalPrincipal) =>
    new EventBridgeClient({ endpoint: front.endpoint, region: "us-east-1", credentials: principalCredentials[principal] });

  beforeAll(async () => {
    bus = new LocalEventBus({ archiveFile: join(scratch, "events.jsonl") });
    front = await startEventBridgeFront({ bus, busName: localResourceNames.Events, credentials: allCredentials });
  });
  afterAll(async () => {
    await front.close();
  });

  it("the events function may put events on the bus; subscribers whose pattern matches get EventBridge's envelope", async () => {
    const delivered: BusEnvelope[] = [];
    const failedOnly: BusEnvelope[] = [];
    bus.subscribe({ source: ["prism.images"] }, (envelope) => delivered.push(envelope));
    bus.subscribe({ source: ["prism.images"], detailType: ["image.failed"] }, (envelope) => failedOnly.push(envelope));
    const event = eventFromChange({ oldRecord: { ...ready, status: "processing" }, newRecord: ready, changedAt: ready.processedAt! }, "http://127.0.0.1:4321")!;
    const result = await new EventBridgePublisher(client("events"), localResourceNames.Events).publish([event]);
    expect(result).toEqual({ published: "all" });
    expect(failedOnly).toEqual([]);
    expect(delivered).toEqual([
      {
        version: "0",
        id: expect.any(String),
        "detail-type": "image.ready",
        source: "prism.images",
        account: "000000000000",
        time: "2026-03-01T12:00:04Z",
        region: "us-east-1",
        resources: [],
        detail: event,
      },
    ]);
    await bus.flushed();
    expect(JSON.parse((await readFile(join(scratch, "events.jsonl"), "utf8")).trim())).toEqual(delivered[0]);
  });

  it("a function without events:PutEvents on the bus is refused as EventBridge refuses it (400 AccessDeniedException), and nothing is published", async () => {
    const before = bus.published.length;
    const refused = await client("processor")
      .send(new PutEventsCommand({ Entries: [{ EventBusName: localResourceNames.Events, Source: "prism.images", DetailType: "image.ready", Detail: "{}" }] }))
      .catch((error: Error & { $metadata?: { httpStatusCode?: number } }) => error);
    expect(refused).toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("prism-local-processor/processor is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus/prism-events"),
      $metadata: { httpStatusCode: 400 },
    });
    // The events function may put on its own bus only.
    const elsewhere = await client("events")
      .send(new PutEventsCommand({ Entries: [{ EventBusName: "default", Source: "prism.images", DetailType: "image.ready", Detail: "{}" }] }))
      .catch((error: Error) => error);
    expect(elsewhere).toMatchObject({ name: "AccessDeniedException" });
    expect(bus.published.length).toBe(before);
  });

  it("more than 10 entries in one call are refused (PutEvents' limit)", async () => {
    const entries = Array.from({ length: 11 }, () => ({ EventBusName: localResourceNames.Events, Source: "prism.images", DetailType: "image.ready", Detail: "{}" }));
    const refused = await client("events").send(new PutEventsCommand({ Entries: entries })).catch((error: Error) => error);
    expect(refused).toMatchObject({ name: "ValidationException" });
  });
});

describe("the images table's stream, which dynalite lacks, written by the DynamoDB front", () => {
  let standIns: StandIns;
  let db: DynamoDBDocumentClient;
  let images: ImageRepository;
  const records = () => standIns.imagesStream.unconsumed(1000);

  beforeAll(async () => {
    standIns = await startStandIns({ dataDir: join(scratch, "stack"), siteOrigins: [] });
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: standIns.dynamoEndpoint, region: "us-east-1", credentials: principalCredentials.site }));
    images = new ImageRepository(db, localResourceNames.Images);
  });
  afterAll(async () => {
    db?.destroy();
    await standIns?.close();
  });

  it("records each change once, with old and new images, in order; a write that changes nothing records nothing", async () => {
    const imageId = "00000000-0000-4000-8000-0000000000e2";
    const start = records().length;
    await images.createPending({ ...ready, imageId, status: "pending", processedAt: undefined as never });
    await expect(images.createPending({ ...ready, imageId, status: "pending" })).rejects.toThrow(); // condition refused
    await db.send(new UpdateCommand({ TableName: localResourceNames.Images, Key: { imageId }, UpdateExpression: "SET #s = :s", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": "ready" } }));
    // The same values again: DynamoDB writes no stream record.
    await db.send(new UpdateCommand({ TableName: localResourceNames.Images, Key: { imageId }, UpdateExpression: "SET #s = :s", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": "ready" } }));
    expect(await images.beginDelete(imageId, ready.ownerId, Date.parse("2026-03-02T00:00:00.000Z"))).toMatchObject({ status: "deleting", deletedAt: "2026-03-02T00:00:00.000Z" });
    // A repeated delete changes nothing (deletedAt is the first one's).
    await images.beginDelete(imageId, ready.ownerId, Date.parse("2026-03-03T00:00:00.000Z"));
    await db.send(new DeleteCommand({ TableName: localResourceNames.Images, Key: { imageId } }));
    const mine = records().slice(start);
    expect(mine.map((record) => record.eventName)).toEqual(["INSERT", "MODIFY", "MODIFY", "REMOVE"]);
    expect(mine.map((record) => [record.dynamodb?.OldImage?.status?.S, record.dynamodb?.NewImage?.status?.S])).toEqual([
      [undefined, "pending"],
      ["pending", "ready"],
      ["ready", "deleting"],
      ["deleting", undefined],
    ]);
    expect(mine[0]!.dynamodb!.Keys).toEqual({ imageId: { S: imageId } });
    const sequence = mine.map((record) => BigInt(record.dynamodb!.SequenceNumber!));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
  });

  it("BatchWriteItem records each item it changed", async () => {
    const start = records().length;
    const { BatchWriteCommand } = await import("@aws-sdk/lib-dynamodb");
    const operator = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: standIns.dynamoEndpoint, region: "us-east-1", credentials: principalCredentials.operator }));
    await operator.send(
      new BatchWriteCommand({
        RequestItems: { [localResourceNames.Images]: ["e3", "e4"].map((suffix) => ({ PutRequest: { Item: { ...ready, imageId: `00000000-0000-4000-8000-0000000000${suffix}` } } })) },
      }),
    );
    operator.destroy();
    expect(records().slice(start).map((record) => `${record.eventName} ${record.dynamodb?.Keys?.imageId?.S?.slice(-2)}`)).toEqual(["INSERT e3", "INSERT e4"]);
  });
});

describe("stream delivery, as Lambda's event source mapping", () => {
  const streamIn = (name: string) => new LocalTableStream("prism-images", { records: join(scratch, `${name}.jsonl`), checkpoint: join(scratch, `${name}.checkpoint`) });
  const append = (stream: LocalTableStream, count: number) =>
    Array.from({ length: count }, (_, index) => stream.append({ imageId: { S: `i${index}` } }, undefined, { imageId: { S: `i${index}` } }).dynamodb!.SequenceNumber!);

  it("delivers in order; a partial batch failure retries from the failed record, what came before it is not delivered again", async () => {
    const stream = streamIn("partial");
    // Written before the mapping exists, so they make one batch (records that arrive later are delivered as they come).
    const numbers = append(stream, 5);
    const seen: string[][] = [];
    let failOnce = true;
    const delivery = new StreamDelivery({
      stream,
      batchSize: 10,
      retryDelaysMs: [10, 10],
      failureFile: join(scratch, "partial-failures.jsonl"),
      logger: silent,
      handler: async (event) => {
        const sequence = event.Records.map((record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!);
        seen.push(sequence);
        if (failOnce && sequence.length > 2) {
          failOnce = false;
          return { batchItemFailures: [{ itemIdentifier: sequence[2]! }] };
        }
        return { batchItemFailures: [] };
      },
    });
    delivery.start();
    await delivery.idle();
    expect(seen).toEqual([numbers, numbers.slice(2)]);
    expect(stream.unconsumed(10)).toEqual([]);
    await delivery.stop();
  });

  it("a batch failing every retry is given up on, recorded in the failure file, and delivery goes on", async () => {
    const stream = streamIn("poison");
    const failureFile = join(scratch, "poison-failures.jsonl");
    let calls = 0;
    append(stream, 2);
    const delivery = new StreamDelivery({
      stream,
      batchSize: 10,
      retryDelaysMs: [5, 5],
      failureFile,
      logger: silent,
      handler: async () => {
        calls += 1;
        throw new Error("bus down");
      },
    });
    delivery.start();
    await delivery.idle();
    expect(calls).toBe(3);
    const [failure] = (await readFile(failureFile, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { attempts: number; records: unknown[] });
    expect(failure).toMatchObject({ attempts: 3, records: [expect.anything(), expect.anything()] });
    await delivery.stop();
  });

  it("records not yet delivered when the stack stopped are delivered after it starts again", async () => {
    const first = streamIn("restart");
    const numbers = append(first, 3);
    first.consumed(numbers[0]!);
    const again = streamIn("restart");
    expect(again.unconsumed(10).map((record) => record.dynamodb!.SequenceNumber)).toEqual(numbers.slice(1));
    const next = again.append({ imageId: { S: "x" } }, undefined, { imageId: { S: "x" } }).dynamodb!.SequenceNumber!;
    expect(BigInt(next)).toBe(BigInt(numbers[2]!) + 1n);
  });
});
