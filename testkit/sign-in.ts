import type { RunningStack } from "./local-stack.ts";

/**
 * Signs `email` in to a stack started with PRISM_LOCAL_ISSUER=1, as a browser does: Sign in →
 * the issuer's e-mail form → the code the stack printed → back to /auth/callback. Cookies are kept
 * per host as a browser keeps them (the site and the local issuer share 127.0.0.1). Resolves with
 * the session's cookies (name → value).
 */
export async function signIn(stack: RunningStack, email: string): Promise<Map<string, string>> {
  const jar = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", cookieHeader(jar));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", value = ""] = pair.split("=");
      const expired = attributes.some((attribute) => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute) || /^\s*max-age=0\s*$/i.test(attribute));
      if (expired) jar.delete(name.trim());
      else jar.set(name.trim(), value.trim());
    }
    return response;
  };
  const follow = async (response: Response, base: string): Promise<Response> => {
    let current = response;
    let from = base;
    while (current.status >= 300 && current.status < 400) {
      const next = new URL(current.headers.get("location") ?? "", from).href;
      from = next;
      current = await go(next);
    }
    return current;
  };
  const form = await follow(await go(`${stack.url}/auth/sign-in?next=/`), stack.url);
  await form.text();
  const issuerUrl = /local issuer at (http:\/\/\S+)/.exec(stack.output())?.[1];
  if (!issuerUrl) throw new Error(`the stack reported no local issuer:\n${stack.output()}`);
  const codeForm = `${issuerUrl}/code/authorize`;
  const before = stack.output().length;
  const requested = await go(codeForm, { method: "POST", body: new URLSearchParams({ action: "request", email }) });
  if (requested.status !== 200) throw new Error(`the issuer answered ${requested.status} to the e-mail form`);
  const code = await printedCode(stack, email, before);
  const verified = await go(codeForm, { method: "POST", body: new URLSearchParams({ action: "verify", code }) });
  const home = await follow(verified, codeForm);
  if (home.status !== 200) throw new Error(`signing in ended with ${home.status}: ${await home.text()}`);
  await home.text();
  return jar;
}

export function cookieHeader(jar: ReadonlyMap<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

/** The code the stack printed for `email` after `from` characters of its output. */
async function printedCode(stack: RunningStack, email: string, from: number): Promise<string> {
  const deadline = Date.now() + 5000;
  const pattern = new RegExp(`sign-in code for ${email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: (\\d+)`);
  for (;;) {
    const code = pattern.exec(stack.output().slice(from))?.[1];
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`no sign-in code for ${email} was printed:\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
