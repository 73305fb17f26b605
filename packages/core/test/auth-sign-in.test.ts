import { describe, expect, it } from "vitest";
import { safeNextPath } from "../src/auth/sign-in.ts";

// Where sign-in sends a person back to (`/auth/sign-in?next=…`): a path of this site, never another
// host, however the browser would read the Location header.
describe("the path after sign-in", () => {
  it("keeps a path of this site, with its query and fragment", () => {
    expect(safeNextPath("/images/abc?view=1#top")).toBe("/images/abc?view=1#top");
    expect(safeNextPath("/")).toBe("/");
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["an absolute URL", "https://evil.example/"],
    ["protocol-relative", "//evil.example"],
    ["a backslash browsers read as a slash", "/\\evil.example"],
    // URL parsers drop tabs and newlines, so these become //evil.example in the browser.
    ["a tab inside the slashes", "/\t/evil.example"],
    ["a newline inside the slashes", "/\n/evil.example"],
    ["a carriage return inside the slashes", "/\r/evil.example"],
    ["a scheme", "javascript:alert(1)"],
  ])("refuses %s and goes home", (_, next) => {
    expect(safeNextPath(next)).toBe("/");
  });

  it("never yields a path a browser resolves to another origin", () => {
    for (const next of ["/\t/evil.example", "/\\\\evil.example", "/%2F/evil.example", "/./evil.example", "/..//evil.example"]) {
      expect(new URL(safeNextPath(next), "https://prism.example").origin).toBe("https://prism.example");
    }
  });
});
