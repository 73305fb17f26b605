/**
 * Environment the stack's node process must be started with, because it is read before any of our
 * code runs. glibc reads MALLOC_ARENA_MAX when the process starts and gives each thread (libvips'
 * workers, libuv's pool) an arena of its own otherwise; those arenas keep what sharp freed, and
 * `npm start` grew from ~250 MiB to over 1 GiB in a few hundred images. The processor sets the same
 * on Lambda (infra/processor.ts). `npm start` (package.json) and testkit's startStack pass it.
 */
export const stackProcessEnvironment = { MALLOC_ARENA_MAX: "2" } as const;

/** The variables of `stackProcessEnvironment` this process was started without (glibc only). */
export function missingProcessEnvironment(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== "linux") return [];
  return Object.entries(stackProcessEnvironment)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `${name}=${value}`);
}
