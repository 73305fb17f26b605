import { describe, expect, it } from "vitest";
import {
  claimTimeoutMsFromEnv,
  claimTimeoutSetting,
  defaultLimits,
  deploySettingsFromEnv,
  limitsFromEnv,
  limitsFromLink,
  processorTimeoutSeconds,
  readFlag,
} from "../src/config/index.ts";

describe("settings, parsed once", () => {
  describe("the claim timeout (PRISM_CLAIM_TIMEOUT_MS)", () => {
    it("defaults to the processor's timeout plus a minute, the one default every reader shares", () => {
      expect(claimTimeoutMsFromEnv({})).toBe((processorTimeoutSeconds + 60) * 1000);
      expect(claimTimeoutSetting.defaultValue).toBe(180_000);
    });

    it("refuses an empty value instead of reading it as 0, which would make every claim stale", () => {
      expect(() => claimTimeoutMsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "" })).toThrow(
        'PRISM_CLAIM_TIMEOUT_MS must be a whole number of milliseconds from 1000 to 900000, received ""',
      );
    });

    it("refuses negative, fractional, non-numeric and out-of-range values, naming the value", () => {
      for (const raw of ["-5000", "1500.5", "thirty seconds", "0x7530", "999", "900001", " "]) {
        expect(() => claimTimeoutMsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: raw }), raw).toThrow(`received ${JSON.stringify(raw)}`);
      }
    });

    it("takes a whole number of milliseconds within bounds", () => {
      expect(claimTimeoutMsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "1500" })).toBe(1500);
      expect(claimTimeoutMsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "900000" })).toBe(900_000);
    });
  });

  describe("limits", () => {
    it("default once each, from the environment of the deploy or the offline stack", () => {
      expect(limitsFromEnv({})).toEqual({
        maxUploadBytes: 100 * 1024 * 1024,
        maxInputPixels: 100_000_000,
        uploadsPerMinute: 120,
        uploadsPerMinutePerAddress: 240,
        uploadsInFlight: 8,
        uploadsInFlightPerAddress: 12,
        uploadCallsPerMinute: 120,
        uploadCallsPerMinutePerAddress: 240,
        appUploadsPerMinute: 600,
        appUploadsInFlight: 50,
        appUploadCallsPerMinute: 1200,
      });
      expect(limitsFromEnv({ PRISM_UPLOADS_IN_FLIGHT: "3" })).toEqual({ ...defaultLimits, uploadsInFlight: 3 });
      expect(limitsFromEnv({ PRISM_APP_UPLOADS_IN_FLIGHT: "4" })).toEqual({ ...defaultLimits, appUploadsInFlight: 4 });
      expect(() => limitsFromEnv({ PRISM_APP_UPLOADS_IN_FLIGHT: "101" })).toThrow(/^PRISM_APP_UPLOADS_IN_FLIGHT must be a whole number of uploads from 1 to 100/);
    });

    it("refuse an empty, zero, negative or non-numeric value by the variable's name", () => {
      expect(() => limitsFromEnv({ PRISM_MAX_UPLOAD_BYTES: "" })).toThrow(
        /^PRISM_MAX_UPLOAD_BYTES must be a whole number of bytes from 1 to 5368709120, received ""$/,
      );
      expect(() => limitsFromEnv({ PRISM_MAX_INPUT_PIXELS: "0" })).toThrow(/PRISM_MAX_INPUT_PIXELS .* received "0"/);
      expect(() => limitsFromEnv({ PRISM_UPLOADS_PER_MINUTE: "-1" })).toThrow(/PRISM_UPLOADS_PER_MINUTE .* received "-1"/);
      expect(() => limitsFromEnv({ PRISM_UPLOADS_PER_MINUTE_PER_ADDRESS: "lots" })).toThrow(/received "lots"/);
      // A DynamoDB BatchGetItem reads at most 100 keys.
      expect(() => limitsFromEnv({ PRISM_UPLOADS_IN_FLIGHT_PER_ADDRESS: "101" })).toThrow(/from 1 to 100, received "101"/);
    });

    it("read from the Limits link: a limit the link lacks (an older stage) has its default; a bad one is refused", () => {
      expect(limitsFromLink({ maxUploadBytes: 1000, maxInputPixels: 2000, uploadsPerMinute: 5 })).toEqual({
        ...defaultLimits,
        maxUploadBytes: 1000,
        maxInputPixels: 2000,
        uploadsPerMinute: 5,
      });
      expect(() => limitsFromLink({ maxUploadBytes: "" })).toThrow('Limits.maxUploadBytes must be a whole number of bytes from 1 to 5368709120, received ""');
      expect(() => limitsFromLink({ uploadsPerMinute: null })).toThrow("Limits.uploadsPerMinute must be a whole number of requests from 1 to 1000000, received null");
    });
  });

  describe("deploy settings", () => {
    it("default to a production-safe stage", () => {
      expect(deploySettingsFromEnv({})).toEqual({
        limits: defaultLimits,
        claimTimeoutMs: 180_000,
        originalsColdAfterDays: 30,
        processorReservedConcurrency: 20,
        processorMemoryMb: 1769,
        alarmEmail: undefined,
        useKms: false,
        useVpc: false,
        recipe: {},
      });
    });

    it("keep originals: they move to a cheaper class after the days chosen (0 allowed), and the retired expiry is refused by name", () => {
      expect(deploySettingsFromEnv({ PRISM_ORIGINALS_COLD_AFTER_DAYS: "0" }).originalsColdAfterDays).toBe(0);
      expect(deploySettingsFromEnv({ PRISM_ORIGINALS_COLD_AFTER_DAYS: "90" }).originalsColdAfterDays).toBe(90);
      expect(() => deploySettingsFromEnv({ PRISM_ORIGINALS_EXPIRE_DAYS: "7" })).toThrow(
        /^PRISM_ORIGINALS_EXPIRE_DAYS is no longer read: originals are kept .* after PRISM_ORIGINALS_COLD_AFTER_DAYS days\. Unset it\.$/,
      );
    });

    it("take `none` for no reserved concurrency and Lambda's own memory notation", () => {
      const settings = deploySettingsFromEnv({ PRISM_PROCESSOR_RESERVED_CONCURRENCY: "none", PRISM_PROCESSOR_MEMORY: "2048 MB" });
      expect(settings.processorReservedConcurrency).toBeUndefined();
      expect(settings.processorMemoryMb).toBe(2048);
    });

    it("refuse what they cannot read, by name", () => {
      expect(() => deploySettingsFromEnv({ PRISM_ORIGINALS_COLD_AFTER_DAYS: "a month" })).toThrow(
        'PRISM_ORIGINALS_COLD_AFTER_DAYS must be a whole number of days from 0 to 3650, received "a month"',
      );
      expect(() => deploySettingsFromEnv({ PRISM_PROCESSOR_RESERVED_CONCURRENCY: "" })).toThrow(/PRISM_PROCESSOR_RESERVED_CONCURRENCY .* received ""/);
      expect(() => deploySettingsFromEnv({ PRISM_PROCESSOR_MEMORY: "64 MB" })).toThrow(/PRISM_PROCESSOR_MEMORY must be a whole number of MB from 128 to 10240, received "64 MB"/);
      expect(() => deploySettingsFromEnv({ PRISM_CLAIM_TIMEOUT_MS: "60000" })).toThrow(
        `PRISM_CLAIM_TIMEOUT_MS must be longer than the processor's timeout (${processorTimeoutSeconds * 1000} ms), received "60000"`,
      );
      expect(() => readFlag("PRISM_KMS", "yes")).toThrow('PRISM_KMS must be "true" or "false", received "yes"');
      expect(readFlag("PRISM_KMS", "")).toBe(false);
      expect(readFlag("PRISM_VPC", "true")).toBe(true);
    });
  });
});
