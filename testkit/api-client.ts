/** A browser-like client of Prism's HTTP API: keeps the owner cookie, says where it comes from. */
export class PrismClient {
  private cookie: string;

  /** `cookie`: a `cookie` header to start with (a signed-in person's session, testkit/sign-in.ts). */
  constructor(
    readonly baseUrl: string,
    cookie = "",
  ) {
    this.cookie = cookie;
  }

  /** The `cookie` header this client sends (for a test to forge a request with the visitor's cookie). */
  get cookieHeader(): string {
    return this.cookie;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    headers.set("origin", this.baseUrl);
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: "manual" });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0] ?? "";
    return response;
  }

  async json<T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await this.request(path, init);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  createUpload(body: unknown) {
    return this.json<UploadTicketBody>("/api/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** Asks for an upload URL and PUTs `bytes` to it, as the page does. Returns the imageId. */
  async upload(bytes: Uint8Array, filename: string, contentType: string): Promise<string> {
    const { status, body } = await this.createUpload({ filename, contentType, size: bytes.byteLength });
    if (status !== 201) throw new Error(`POST /api/uploads answered ${status}: ${JSON.stringify(body)}`);
    const put = await fetch(body.upload.url, { method: "PUT", headers: body.upload.headers, body: new Uint8Array(bytes) });
    if (!put.ok) throw new Error(`PUT to the presigned URL answered ${put.status}: ${await put.text()}`);
    return body.imageId;
  }

  /** Polls until the image is ready or failed. */
  async waitForFinished(imageId: string, timeoutMs = 30_000): Promise<ImageBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.json<ImageBody>(`/api/images/${imageId}`);
      if (status !== 200) throw new Error(`GET /api/images/${imageId} answered ${status}`);
      if (body.status === "ready" || body.status === "failed") return body;
      if (Date.now() > deadline) throw new Error(`image ${imageId} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface UploadTicketBody {
  imageId: string;
  upload: { method: "PUT"; url: string; headers: Record<string, string> };
  expiresAt: string;
  error?: { code: string; message: string };
}

export interface ImageBody {
  imageId: string;
  status: "pending" | "processing" | "ready" | "failed";
  filename: string;
  contentType: string;
  size: number;
  uploadedAt: string;
  processedAt?: string;
  error?: { code: string; message: string };
  original?: { width: number; height: number; format: string };
  placeholder?: string;
  variants: { format: string; width: number; height: number; bytes: number; url: string; crop?: string }[];
}
