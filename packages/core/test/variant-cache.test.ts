import { CreateInvalidationCommand, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { describe, expect, it } from "vitest";
import { CloudFrontVariantCache, variantCachePaths } from "../src/cdn/index.ts";
import { variantUrl } from "../src/images/view.ts";
import { contentTypeByFormat, standardPlan, variantKey, type OutputFormat } from "../src/plan/index.ts";

const imageId = "11111111-1111-4111-8111-111111111111";

describe("forgetting a deleted image at the CDN", () => {
  it("one wildcard path per output format covers every variant URL the image ever had", () => {
    const paths = variantCachePaths(imageId);
    expect(paths).toEqual([`/webp/${imageId}/*`, `/jpeg/${imageId}/*`, `/png/${imageId}/*`]);
    for (const format of Object.keys(contentTypeByFormat) as OutputFormat[]) {
      for (const width of [...standardPlan.widths, 77]) {
        const url = variantUrl(format, variantKey(imageId, standardPlan, width, format));
        expect(paths.some((path) => url.startsWith(path.slice(0, -1))), url).toBe(true);
      }
    }
  });

  it("asks the Router's distribution to invalidate exactly those paths, as a new invalidation each time", async () => {
    const sent: CreateInvalidationCommand[] = [];
    const client = { send: async (command: CreateInvalidationCommand) => (sent.push(command), {}) } as unknown as CloudFrontClient;
    const cache = new CloudFrontVariantCache(client, "E2EXAMPLE");
    await cache.forgetImage(imageId);
    await cache.forgetImage(imageId);
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map((command) => command.input);
    expect(first).toMatchObject({
      DistributionId: "E2EXAMPLE",
      InvalidationBatch: { Paths: { Quantity: 3, Items: variantCachePaths(imageId) } },
    });
    expect(first?.InvalidationBatch?.CallerReference).not.toBe(second?.InvalidationBatch?.CallerReference);
  });
});
