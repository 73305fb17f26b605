import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { issuer } from "@openauthjs/openauth";
import { CodeProvider } from "@openauthjs/openauth/provider/code";
import { MemoryStorage } from "@openauthjs/openauth/storage/memory";
import { createSubjects } from "@openauthjs/openauth/subject";
import { CodeUI } from "@openauthjs/openauth/ui/code";
import type { Theme } from "@openauthjs/openauth/ui/theme";
import type { Logger } from "@prism/core/logging";

/**
 * The offline identity provider (`PRISM_LOCAL_ISSUER=1`): an OpenAuth issuer — the same software as a
 * team's deployed with SST's `Auth` component — in the stack's own process, on its own loopback port
 * (OpenAuth's `iss` is its origin). Sign-in is by e-mail code; the code is printed on the terminal
 * instead of mailed, as `sign-in code for {email}: {code}` (the tests read that line).
 */
export interface LocalIssuer {
  readonly url: string;
  /** The last code sent to `email`, for tests running the stack in-process. */
  lastCodeFor(email: string): string | undefined;
  close(): Promise<void>;
}

/** A user is their e-mail address: OpenAuth makes `sub` from it (`user:{hash}`), stable across sign-ins. */
const subjects = createSubjects({
  user: {
    "~standard": {
      version: 1,
      vendor: "prism",
      validate: (value: unknown) =>
        typeof (value as { email?: unknown } | null)?.email === "string"
          ? { value: { email: (value as { email: string }).email } }
          : { issues: [{ message: "a user is an e-mail address" }] },
    },
    // A hand-written Standard Schema: OpenAuth takes any validator; this one needs no library.
  } as unknown as Parameters<typeof createSubjects>[0][string],
});

/**
 * The sign-in pages look like Prism's, so a person who clicks Sign in knows where they landed
 * (OpenAuth's default is an unnamed black-and-white page with its own logo): the site's mark and
 * accent (packages/web's --accent, --bg), inline, since offline nothing may load from the internet.
 */
const prismMark = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#4338ca" d="M16 3 29 27H3z"/></svg>')}`;
const localIssuerTheme: Theme = {
  title: "Sign in to Prism",
  logo: prismMark,
  favicon: prismMark,
  primary: "#4338ca",
  background: "#f6f5f2",
  radius: "md",
  font: { family: "system-ui, sans-serif" },
  // OpenAuth's reset stylesheet comes from unpkg, which offlineHtml drops: without it the form keeps
  // a fixed 380 px (wider than a phone) and Resend looks like a bare system button.
  css: `
    [data-component="center"] { width: min(380px, calc(100vw - 2rem)); }
    [data-component="link"] { background: none; border: 0; padding: 0; font: inherit; color: var(--color-primary); cursor: pointer; }
  `,
};

/** OpenAuth's copy says the code was e-mailed; offline it is printed where `npm start` runs. */
const localIssuerCopy = {
  code_info: "Prism runs offline: the code is not e-mailed, it is printed on the terminal where npm start runs.",
  code_sent: "Code printed on the terminal for ",
  code_resent: "New code printed on the terminal for ",
};

export async function startLocalIssuer(options: { host: string; port: number; dataDir: string; logger: Logger }): Promise<LocalIssuer> {
  const codes = new Map<string, string>();
  const app = issuer({
    subjects,
    theme: localIssuerTheme,
    // Kept in the data directory: signing keys and refresh tokens survive a restart, as sessions do.
    storage: MemoryStorage({ persist: join(options.dataDir, "local-issuer.json") }),
    providers: {
      code: CodeProvider(
        CodeUI({
          copy: localIssuerCopy,
          sendCode: async (claims, code) => {
            const email = claims.email ?? "";
            codes.set(email, code);
            console.log(`  sign-in code for ${email}: ${code}`);
          },
        }),
      ),
    },
    success: async (ctx, value) => ctx.subject("user", { email: value.claims.email ?? "" }),
  });
  const server = createServer((request, response) => {
    serve(app.fetch.bind(app), request, response).catch((error: unknown) => {
      options.logger.error("local issuer failed", { url: request.url, error: error as Error });
      if (!response.headersSent) response.writeHead(500).end("Local issuer error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    lastCodeFor: (email) => codes.get(email),
    close: () => closeServer(server),
  };
}

/** Node's request to the issuer's fetch handler (a Hono app) and its answer back. */
async function serve(fetchHandler: (request: Request) => Response | Promise<Response>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const method = request.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks);
  const answer = await fetchHandler(new Request(`http://${request.headers.host}${request.url ?? "/"}`, { method, headers, ...(body ? { body } : {}) }));
  const outgoing: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (name !== "set-cookie") outgoing[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) outgoing["set-cookie"] = cookies;
  let payload = Buffer.from(await answer.arrayBuffer());
  if ((answer.headers.get("content-type") ?? "").includes("text/html")) {
    payload = Buffer.from(offlineHtml(payload.toString("utf8")));
    delete outgoing["content-length"];
  }
  response.writeHead(answer.status, outgoing).end(payload);
}

/**
 * OpenAuth's sign-in page loads a stylesheet, a font and icons from the internet; offline those would
 * only stall the page (and a browser test) until they fail. Its own inline styles remain.
 */
function offlineHtml(html: string): string {
  return html.replace(/@import url\((["'])https:\/\/[^)]*\1\);?/g, "").replace(/<link[^>]*href="https:\/\/[^"]*"[^>]*>/g, "");
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
