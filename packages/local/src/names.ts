/**
 * The names the offline stack gives the resources SST links in AWS (infra/). Handlers and the site
 * read them through `Resource.<Link>.name`, exactly as when deployed.
 */
export const localResourceNames = {
  Uploads: "prism-uploads",
  WebP: "prism-webp",
  JPEG: "prism-jpeg",
  PNG: "prism-png",
  Images: "prism-images",
} as const;

export const variantRoutes = { webp: localResourceNames.WebP, jpeg: localResourceNames.JPEG, png: localResourceNames.PNG } as const;
