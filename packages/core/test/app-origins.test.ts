import { describe, expect, it } from "vitest";
import { readAppOrigins, SettingError } from "@prism/core/config";

describe("PRISM_APP_ORIGINS: apps' pages that upload straight to storage", () => {
  it("is none when unset or empty, and each listed origin otherwise", () => {
    expect(readAppOrigins(undefined)).toEqual([]);
    expect(readAppOrigins(" ")).toEqual([]);
    expect(readAppOrigins("https://app.example, http://127.0.0.1:8080")).toEqual(["https://app.example", "http://127.0.0.1:8080"]);
  });

  it("refuses anything but a bare origin, naming the setting and the value", () => {
    for (const bad of ["https://app.example/", "https://app.example/upload", "app.example", "ftp://app.example", "*"]) {
      expect(() => readAppOrigins(bad), bad).toThrow(SettingError);
      expect(() => readAppOrigins(bad), bad).toThrow(`each of PRISM_APP_ORIGINS must be an origin such as https://app.example (scheme, host and port only), received ${JSON.stringify(bad)}`);
    }
  });
});
