// Minimal stand-in (webhooks branch) for the event publishing's bus: the events engineer's
// infra/events.ts (DynamoDB stream → events function → PutEvents) replaces this file at merge.
// Prism's image events (source `prism.images`) are published on this bus.
export const eventBus = new sst.aws.Bus("Events");
