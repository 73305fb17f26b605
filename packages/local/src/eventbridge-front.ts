import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { LocalEventBus } from "./event-bus.ts";
import { listenFront, signerOf, type Front } from "./fronts.ts";
import { accessDeniedMessage, deniedAccess, localAccount, localArn, localRegion } from "./iam.ts";
import { readBody } from "./request-body.ts";
import { checkSignature, type SignatureCheck } from "./sigv4.ts";

/**
 * The part of EventBridge's API Prism calls, in front of the offline stack's bus (./event-bus.ts):
 * PutEvents, as the SDK's EventBridgeClient sends it (AWS JSON 1.1, `X-Amz-Target:
 * AWSEvents.PutEvents`), signed, and allowed only to a principal whose grants allow
 * `events:PutEvents` on the bus (400 AccessDeniedException otherwise, as EventBridge answers).
 * The events function reaches it through `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 */
export interface EventBridgeFrontOptions {
  readonly bus: LocalEventBus;
  /** The one bus there is (`Resource.Events.name`); an entry for any other fails as EventBridge fails it. */
  readonly busName: string;
  readonly credentials: SignatureCheck["credentials"];
  readonly now?: () => number;
}

/** PutEvents' limits: 10 entries, 256 KB a request (EventBridge User Guide, quotas). */
const maxEntries = 10;
const maxRequestEntryBytes = 256 * 1024;
const maxBodyBytes = 1024 * 1024;

interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  /** JSON 1.1 sends a timestamp as epoch seconds. */
  readonly Time?: number | string;
}

export async function startEventBridgeFront(options: EventBridgeFrontOptions): Promise<Front> {
  const check: SignatureCheck = { credentials: options.credentials, service: "events", ...(options.now ? { now: options.now } : {}) };
  const busArn = localArn.bus(options.busName);
  return listenFront(async (request, response) => {
    if (request.headers.origin !== undefined || request.method !== "POST") {
      return eventsError(response, "AccessDeniedException", "Browsers cannot call this EventBridge endpoint.");
    }
    const body = await readBody(request, maxBodyBytes);
    if (!body) return eventsError(response, "ValidationException", "Request entity too large.", 413);
    const problem = await checkSignature({ method: "POST", rawUrl: request.url ?? "/", headers: request.headers, body }, check);
    if (problem) {
      if (problem.kind === "unsigned") return eventsError(response, "MissingAuthenticationTokenException", "Request is missing Authentication Token");
      if (problem.kind === "unknown-access-key") return eventsError(response, "UnrecognizedClientException", "The security token included in the request is invalid.");
      return eventsError(response, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
    }
    const target = String(request.headers["x-amz-target"] ?? "");
    if (target !== "AWSEvents.PutEvents") return eventsError(response, "UnknownOperationException", `The offline EventBridge answers PutEvents only, not ${target || "this request"}.`);

    let entries: PutEventsEntry[];
    try {
      entries = (JSON.parse(body.toString("utf8")) as { Entries?: PutEventsEntry[] }).Entries ?? [];
    } catch {
      return eventsError(response, "SerializationException", "The request body is not JSON.");
    }
    if (entries.length < 1 || entries.length > maxEntries) {
      return eventsError(response, "ValidationException", `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${maxEntries}`);
    }
    if (entries.reduce((sum, entry) => sum + entrySize(entry), 0) > maxRequestEntryBytes) {
      return eventsError(response, "ValidationException", "Total size of the entries in the request is over the limit.");
    }
    // IAM: events:PutEvents on every bus the entries name (the default bus when they name none).
    const principal = signerOf(request);
    const buses = [...new Set(entries.map((entry) => busArnOf(entry.EventBusName)))];
    const denied = deniedAccess(principal, buses.map((resource) => ({ action: "events:PutEvents", resource })), { action: "events:PutEvents", resource: "*" });
    if (denied) return eventsError(response, "AccessDeniedException", accessDeniedMessage(principal, denied));

    const now = options.now ?? Date.now;
    const results = entries.map((entry) => {
      if (busArnOf(entry.EventBusName) !== busArn) return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: `Event bus ${entry.EventBusName ?? "default"} does not exist.` };
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) return { ErrorCode: "MalformedDetail", ErrorMessage: "Source, DetailType and Detail are required." };
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      const id = randomUUID();
      options.bus.put({
        version: "0",
        id,
        "detail-type": entry.DetailType,
        source: entry.Source,
        account: localAccount,
        time: new Date(entry.Time === undefined ? now() : typeof entry.Time === "number" ? entry.Time * 1000 : entry.Time).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: localRegion,
        resources: [...(entry.Resources ?? [])],
        detail,
      });
      return { EventId: id };
    });
    response.writeHead(200, { "Content-Type": "application/x-amz-json-1.1" });
    response.end(JSON.stringify({ FailedEntryCount: results.filter((result) => "ErrorCode" in result).length, Entries: results }));
  });
}

/** An entry's bus as an ARN: EventBusName may be a name or an ARN; absent, the account's default bus. */
function busArnOf(nameOrArn: string | undefined): string {
  if (nameOrArn?.startsWith("arn:")) return nameOrArn;
  return localArn.bus(nameOrArn || "default");
}

/** How EventBridge counts an entry against the request's size limit. */
function entrySize(entry: PutEventsEntry): number {
  const parts = [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])].filter((part): part is string => typeof part === "string");
  return (entry.Time !== undefined ? 14 : 0) + parts.reduce((sum, part) => sum + Buffer.byteLength(part, "utf8"), 0);
}

/** EventBridge's error answer (AWS JSON 1.1), which the SDK turns into the named exception. */
function eventsError(response: ServerResponse, type: string, message: string, status = 400): void {
  response.writeHead(status, { "Content-Type": "application/x-amz-json-1.1" }).end(JSON.stringify({ __type: type, message }));
}
