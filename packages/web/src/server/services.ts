import { Resource } from "sst";
import { configFromLinks } from "@prism/core/links";
import { createPrismServices, type PrismServices } from "@prism/core/services";

let services: PrismServices | undefined;

/** Created on first use, from the SST links, once per server instance. */
export function prism(): PrismServices {
  services ??= createPrismServices(configFromLinks());
  return services;
}

export function ownerCookieSecret(): string {
  return Resource.OwnerCookieSecret.value;
}
