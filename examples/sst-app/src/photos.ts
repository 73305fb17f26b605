/**
 * The team's own function in examples/sst-app, linked to Prism (`link: [prism]`): `Resource.Prism`
 * holds Prism's URL and the key of its API for apps, and @prism/client's server client does the rest.
 *
 *   POST /uploads {filename, contentType, size}  → the ticket the page uploads with (`uploadFile`)
 *   GET  /images                                  → the user's images, newest first
 */
import { Resource } from "sst";
import { createPrismServerClient, PrismApiError } from "@prism/client";

const prism = createPrismServerClient({ baseUrl: Resource.Prism.url, apiKey: Resource.Prism.apiKey });

/** The part of a Lambda function URL event this handler reads. */
interface FunctionUrlEvent {
  readonly rawPath: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly http: { readonly method: string } };
}

export async function handler(event: FunctionUrlEvent) {
  // A real app takes its user from its session; the example trusts a header.
  const owner = event.headers["x-user"];
  if (!owner) return json(401, { message: "Sign in first." });
  try {
    const route = `${event.requestContext.http.method} ${event.rawPath}`;
    if (route === "POST /uploads") {
      const body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString() : (event.body ?? "{}"));
      const ticket = await prism.createUpload({ owner, filename: body.filename, contentType: body.contentType, size: body.size });
      return json(201, ticket);
    }
    if (route === "GET /images") return json(200, await prism.listImages({ owner }));
    return json(404, { message: "Not found." });
  } catch (error) {
    // Prism's refusals (too large, unsupported type, rate limited) are the user's to read.
    if (error instanceof PrismApiError) return json(error.status, { message: error.message });
    throw error;
  }
}

function json(statusCode: number, body: unknown) {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
