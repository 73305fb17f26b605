import { CreateInvalidationCommand, TooManyInvalidationsInProgress, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { describe, expect, it } from "vitest";
import { CloudFrontVariantCache, exactVariantCachePaths, imageCachePaths, variantCachePaths } from "../src/cdn/index.ts";
import { toImageView, variantUrl } from "../src/images/view.ts";
import type { ImageRecord } from "../src/images/model.ts";
import { contentTypeByFormat, standardPlan, variantKey, type OutputFormat } from "../src/plan/index.ts";

const imageId = "11111111-1111-4111-8111-111111111111";

describe("forgetting a deleted image at the CDN", () => {
  it("one wildcard path per output format covers every variant URL the image ever had", () => {
    const paths = variantCachePaths(imageId);
    expect(paths).toEqual([`/avif/${imageId}/*`, `/webp/${imageId}/*`, `/jpeg/${imageId}/*`, `/png/${imageId}/*`]);
    for (const format of Object.keys(contentTypeByFormat) as OutputFormat[]) {
      for (const width of [...standardPlan.widths, 77]) {
        const url = variantUrl(variantKey(imageId, standardPlan, width, format));
        expect(paths.some((path) => url.startsWith(path.slice(0, -1))), url).toBe(true);
      }
    }
  });

  it("a delete also names the image's on-demand transforms, all cached under /t/{imageId}/", () => {
    expect(imageCachePaths(imageId)).toEqual([...variantCachePaths(imageId), `/t/${imageId}/*`]);
  });

  it("asks the Router's distribution to invalidate exactly those paths, as a new invalidation each time", async () => {
    const sent: CreateInvalidationCommand[] = [];
    const client = { send: async (command: CreateInvalidationCommand) => (sent.push(command), {}) } as unknown as CloudFrontClient;
    const cache = new CloudFrontVariantCache(client, "E2EXAMPLE");
    await cache.forgetImage(imageId, []);
    await cache.forgetImage(imageId, []);
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map((command) => command.input);
    expect(first).toMatchObject({
      DistributionId: "E2EXAMPLE",
      InvalidationBatch: { Paths: { Quantity: 5, Items: imageCachePaths(imageId) } },
    });
    expect(first?.InvalidationBatch?.CallerReference).not.toBe(second?.InvalidationBatch?.CallerReference);
  });

  it("when 15 wildcard paths are already in progress, invalidates the image's known variant paths one by one: the paths the image view shows and CloudFront caches", async () => {
    const sent: CreateInvalidationCommand[] = [];
    const busy = new TooManyInvalidationsInProgress({ message: "Processing your request(s) will exceed the maximum number of in-progress wildcard invalidations.", $metadata: {} });
    const client = {
      send: async (command: CreateInvalidationCommand) => {
        sent.push(command);
        if (command.input.InvalidationBatch?.Paths?.Items?.some((path) => path.endsWith("*"))) throw busy;
        return {};
      },
    } as unknown as CloudFrontClient;
    const known = [
      { format: "webp" as const, key: variantKey(imageId, standardPlan, 320, "webp") },
      { format: "jpeg" as const, key: variantKey(imageId, standardPlan, 320, "jpeg") },
    ];
    await new CloudFrontVariantCache(client, "E2EXAMPLE").forgetImage(imageId, known);
    expect(sent.map((command) => command.input.InvalidationBatch?.Paths)).toEqual([
      { Quantity: 5, Items: imageCachePaths(imageId) },
      { Quantity: 2, Items: [`/webp/${imageId}/${standardPlan.version}/320.webp`, `/jpeg/${imageId}/${standardPlan.version}/320.jpg`] },
    ]);
    // The transforms the delete found are invalidated by their exact paths too, even with no variant known.
    const transform = `/t/${imageId}/${"A".repeat(43)}/w_500/webp`;
    sent.length = 0;
    await new CloudFrontVariantCache(client, "E2EXAMPLE").forgetImage(imageId, known, [transform]);
    expect(sent[1]?.input.InvalidationBatch?.Paths?.Items).toEqual([`/webp/${imageId}/${standardPlan.version}/320.webp`, `/jpeg/${imageId}/${standardPlan.version}/320.jpg`, transform]);
    sent.length = 0;
    await new CloudFrontVariantCache(client, "E2EXAMPLE").forgetImage(imageId, [], [transform]);
    expect(sent[1]?.input.InvalidationBatch?.Paths?.Items).toEqual([transform]);
    // The same strings the image view hands out (and so the paths viewers asked for and CloudFront
    // cached, the Router forwarding them unchanged).
    const record = {
      imageId, ownerId: "o", status: "ready", filename: "a.jpg", contentType: "image/jpeg", size: 1, uploadedAt: new Date(0).toISOString(),
      variants: known.map((location) => ({ ...location, width: 320, height: 200, bytes: 1 })),
    } satisfies ImageRecord;
    expect(exactVariantCachePaths(known)).toEqual(toImageView(record).variants.map((variant) => variant.url));
    // Nothing known to fall back to, or any other refusal: the delete must hear about it.
    await expect(new CloudFrontVariantCache(client, "E2EXAMPLE").forgetImage(imageId, [])).rejects.toBe(busy);
  });
});
