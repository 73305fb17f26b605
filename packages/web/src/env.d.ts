/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** The visitor, from the signed owner cookie (set on first visit by the middleware). */
    ownerId: string;
  }
}
