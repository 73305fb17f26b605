/**
 * How one setting is read: its rule, its one default, and a refusal that names the setting, says
 * the rule and quotes the value received. What every setting of @prism/core/config is parsed with.
 */
import { z } from "zod";

/** A whole-number setting: its environment variable, its bounds, its unit in words and its default. */
export interface WholeNumberSetting {
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  /** Said in the refusal: "a whole number of {unit} from {min} to {max}". */
  readonly unit: string;
  readonly defaultValue: number;
}

/** The refusal every setting uses: names the setting, says the rule, quotes the value received. */
export class SettingError extends RangeError {
  override readonly name = "SettingError";
}

/**
 * A whole-number setting's value. Unset (`undefined`) gives the default; anything else — an empty
 * string included, which is a mistake and not "unset" — must be a whole number within bounds. A
 * link may carry it as a JSON number, the environment as a string.
 */
export function readWholeNumber(setting: WholeNumberSetting, raw: unknown, name: string = setting.variable): number {
  const parsed = wholeNumberSchema(setting).safeParse(raw);
  if (parsed.success) return parsed.data;
  throw wholeNumberRefusal(setting, name, raw);
}

export function wholeNumberRefusal(setting: WholeNumberSetting, name: string, raw: unknown): SettingError {
  return new SettingError(`${name} must be a whole number of ${setting.unit} from ${setting.min} to ${setting.max}, received ${describe(raw)}`);
}

function wholeNumberSchema(setting: WholeNumberSetting) {
  const digits = z
    .string()
    .regex(/^\s*\d+\s*$/)
    .transform(Number);
  return z
    .union([z.undefined().transform(() => setting.defaultValue), z.number(), digits])
    .pipe(z.number().int().min(setting.min).max(setting.max));
}

/** A `true`/`false` setting; unset or empty is false (how an operator clears a flag in a shell). */
export function readFlag(variable: string, raw: string | undefined): boolean {
  const parsed = z.enum(["", "false", "0", "true", "1"]).optional().safeParse(raw);
  if (!parsed.success) throw new SettingError(`${variable} must be "true" or "false", received ${describe(raw)}`);
  return parsed.data === "true" || parsed.data === "1";
}

/** A received value as a refusal quotes it. */
function describe(raw: unknown): string {
  return raw === undefined ? "nothing" : typeof raw === "string" ? JSON.stringify(raw) : String(JSON.stringify(raw) ?? raw);
}
