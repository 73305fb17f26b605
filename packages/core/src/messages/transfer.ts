// A module of its own so every page's script can take these without the upload island's sentences.
/** What the page says when the way to Prism or to storage fails, not Prism itself. */
export const transferMessages = {
  unreachable: "Prism could not be reached. Check your connection and retry.",
  refused: (status: number) => `The upload was refused (HTTP ${status}).`,
  storageRefused: (status: number) => `Storage refused the file (HTTP ${status}). Retry to upload it again.`,
  interrupted: "The upload was interrupted. Check your connection and retry.",
  timedOut: "The upload took too long. Retry to try again.",
  unexpected: "The upload failed unexpectedly. Retry to try again.",
  cancelled: "The upload was cancelled.",
  deleteFailed: (status: number) => `Delete failed (HTTP ${status}).`,
  lookupFailed: (status: number) => `Prism answered HTTP ${status} about this image.`,
} as const;
