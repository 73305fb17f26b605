import { request as httpRequest } from "node:http";

export interface AddressedAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: T;
}

/**
 * A browser-like client of Prism's API that sends from a chosen loopback address (all of 127.0.0.0/8
 * reaches the stack on Linux, and the stack takes the client's address from the socket), so one test
 * can be several visitors on several networks; fetch cannot choose its source address. Keeps its
 * owner cookie unless made `cookieless` (then every request is a new visitor).
 */
export class AddressedClient {
  private cookie = "";

  constructor(
    readonly baseUrl: string,
    readonly from: string,
    private readonly options: { readonly cookieless?: boolean } = {},
  ) {}

  /** The same visitor (cookie) on another network. */
  movedTo(from: string): AddressedClient {
    const moved = new AddressedClient(this.baseUrl, from, this.options);
    moved.cookie = this.cookie;
    return moved;
  }

  json<T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown } = {}): Promise<AddressedAnswer<T>> {
    const url = new URL(path, this.baseUrl);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = { origin: this.baseUrl, ...(body === undefined ? {} : { "content-type": "application/json" }) };
    if (this.cookie) headers.cookie = this.cookie;
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? "GET", localAddress: this.from, headers },
        (response) => {
          const setCookie = response.headers["set-cookie"]?.[0];
          if (setCookie && !this.options.cookieless) this.cookie = setCookie.split(";")[0] ?? "";
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T }));
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  }
}
