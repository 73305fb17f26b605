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
