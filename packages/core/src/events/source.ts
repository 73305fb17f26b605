/**
 * EventBridge's `source` for Prism's events: a rule matches on it (and on `detail-type`, the event's
 * `type`). Its own module, without imports, so infra/ can name it in a bus rule.
 */
export const eventSource = "prism.images";
