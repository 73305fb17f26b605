import { describe, expect, it } from "vitest";
import { diagnoseUnreadable, findDiagnosis, unreadableDiagnoses, type Diagnosis } from "../src/formats/index.ts";

// The decoders' refusals are read through one table beside format detection; the hostile corpus
// (tests/hostile/corpus.test.ts) checks every row against real files.
describe("the table of decoder refusals", () => {
  it("has one name per row and ends with a row that always applies", () => {
    const names = unreadableDiagnoses.map((row) => row.name);
    expect(new Set(names).size).toBe(names.length);
    const last = unreadableDiagnoses.at(-1)!;
    expect(last.detail ?? last.bytes ?? last.formats).toBeUndefined();
  });

  it("words a refusal from the matching row, keeping the decoder's text in the cause only", () => {
    const cause = new Error("VipsJpeg: Premature end of JPEG file\nmore");
    const error = diagnoseUnreadable(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), "jpeg", cause);
    expect(error.code).toBe("corrupt_image");
    expect(error.message).toBe("This JPEG file is incomplete: it ends before the picture does, so it can't be read. Try uploading it again from the original.");
    expect(error.cause).toBe(cause);
  });

  it("applies a row only to its formats, and names what the bytes show", () => {
    const row: Diagnosis = { name: "fake", code: "unsupported_format", formats: ["png"], bytes: () => "is fake", message: (format, kind) => `${format} ${kind}` };
    const file = { input: Buffer.alloc(4), detail: "" };
    expect(findDiagnosis([row], { ...file, format: "jpeg" })).toBeUndefined();
    expect(findDiagnosis([row], { ...file, format: "png" })).toEqual({ row, kind: "is fake" });
  });
});
