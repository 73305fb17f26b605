/** Refusals of what an app says about its user's image (the API for apps, @prism/core/apps): each names the field and the limit. */
export const appMessages = {
  ownerRequired: "owner is required with the API key: the app's own id of the user the image is for",
  ownerNotString: "owner must be a string",
  ownerLength: (max: number, received: number) => `owner must be 1 to ${max} characters, received ${received}`,
  ownerNotPrintable: "owner must be printable characters (no control characters)",
  metadataNotObject: "metadata must be an object of string keys to string values",
  metadataKeys: (max: number, received: number) => `metadata may have at most ${max} keys, received ${received}`,
  metadataKey: (maxLength: number, received: string) =>
    `metadata keys must be 1 to ${maxLength} characters of A-Z, a-z, 0-9, _, . and -, received ${JSON.stringify(received.slice(0, 80))}`,
  metadataValueNotString: (key: string) => `metadata.${key} must be a string`,
  metadataValueLength: (key: string, max: number, received: number) => `metadata.${key} must be at most ${max} characters, received ${received}`,
  metadataBytes: (max: number, received: number) => `metadata must be at most ${max} bytes as JSON, received ${received}`,
} as const;
