/// <reference path="../../.sst/platform/config.d.ts" />

// A team's SST app that adds image uploads with Prism: the component, and the team's own function
// linked to it (README, "Add Prism to your SST app"; tests/infra/example-app.test.ts synthesizes it).

export default $config({
  app(input) {
    return {
      name: "photos",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      providers: { aws: { version: "6.66.2", region: "us-east-1" } },
    };
  },
  async run() {
    const { Prism } = await import("@prism/sst");

    const prism = new Prism("Prism", {
      // Where Prism's sources are, from this app's root (here: the Prism repository around it).
      path: "../..",
      production: $app.stage === "production",
      auth: { issuer: "https://auth.example.com", audience: "photos" },
      recipe: { recipe: { widths: [320, 640, 1280] }, avif: true },
      kms: true,
      appOrigins: ["https://photos.example.com"],
      webhooks: { url: "https://photos.example.com/webhooks/prism" },
      transform: {
        processor: { memory: "2048 MB" },
      },
    });

    // The team's API: creates uploads for its signed-in users and reads their images through Prism's
    // API for apps. The link gives it Prism's URL and API key, and no AWS permission.
    const api = new sst.aws.Function("PhotosApi", {
      handler: "src/photos.handler",
      runtime: "nodejs22.x",
      url: true,
      link: [prism],
    });

    return { prism: prism.url, api: api.url };
  },
});
