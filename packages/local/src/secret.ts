import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The owner-cookie signing secret. In AWS it is an `sst.Secret`; offline it is generated once and
 * kept in the data directory, so visitors keep their gallery across restarts.
 */
export async function loadOrCreateCookieSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, "owner-cookie-secret");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The transform signing secret (hex, as `PRISM_TRANSFORM_SECRET` gives it). In AWS it is the
 * `TransformSecret` SST secret; offline it is generated once and kept in the data directory, so
 * signed transform URLs stay valid across restarts.
 */
export async function loadOrCreateTransformSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, "transform-secret");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (/^(?:[0-9a-f]{2}){32}$/.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(32).toString("hex");
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
