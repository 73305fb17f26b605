// A module of its own: the API and the page's multipart client word the same refusals.
/** What people read when an upload sent in parts is refused or cannot finish. */
export const multipartMessages = {
  uploadNotFound:
    "This upload is no longer open: it finished, was cancelled, or expired. Add the file again to upload it.",
  partCount: (expected: number, given: number) =>
    `The upload has ${expected} ${expected === 1 ? "part" : "parts"}; the request listed ${given}.`,
  partOrder: (expected: number, given: number) => `Part ${given} was listed where part ${expected} belongs: list every part once, in order.`,
  partMissing: (partNumber: number, count: number) =>
    `Part ${partNumber} of ${count} has not reached storage yet. Send it, then finish the upload.`,
  partSize: (partNumber: number, stored: number, planned: number) =>
    `Part ${partNumber} in storage is ${stored.toLocaleString("en-US")} bytes; the upload's plan says ${planned.toLocaleString("en-US")}. Send that part again.`,
  partChanged: (partNumber: number) => `Part ${partNumber} in storage is not the one this request names. Send that part again.`,
  /** The card of an upload picked up after a reload: how far it is, and how much storage already had. */
  resumed: (done: number, before: number) => `${Math.floor(done * 100)}% · resumed at ${Math.floor(before * 100)}%`,
  /** A progress bar's spoken value while parts are on their way: stored and sent percentages. */
  stored: (stored: number, sent: number) => `${stored}% stored, ${sent}% sent`,
  cancelled: "Upload cancelled.",
  partsRefused: "Storage refused the parts of this upload. Add the file again to upload it.",
} as const;
