/* Types of the resources this app links (`sst dev` / `sst deploy` regenerate this file). */
/* eslint-disable */
/* deno-fmt-ignore-file */
import "sst"
declare module "sst" {
  export interface Resource {
    "Prism": {
      "apiKey": string
      "type": "prism.aws.Prism"
      "url": string
    }
  }
}
export {}
