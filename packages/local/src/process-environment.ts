import { sharpProcessEnvironment } from "@prism/core/config";

/**
 * Environment the stack's node process must be started with, because it is read before any of our
 * code runs (@prism/core/config `sharpProcessEnvironment`, as the functions get it on Lambda).
 * `npm start` (package.json) and testkit's startStack pass it.
 */
export const stackProcessEnvironment = sharpProcessEnvironment;

/** The variables of `stackProcessEnvironment` this process was started without (glibc only). */
export function missingProcessEnvironment(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== "linux") return [];
  return Object.entries(stackProcessEnvironment)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `${name}=${value}`);
}
