/* Types of the resources Prism links (see infra/). `sst dev` / `sst deploy` regenerate this file. */
/* eslint-disable */
/* deno-fmt-ignore-file */
import "sst"
declare module "sst" {
  export interface Resource {
    "ApiKey": {
      "type": "sst.sst.Secret"
      "value": string
    }
    "Cdn": {
      "distributionId": string
      "type": "sst.sst.Linkable"
    }
    "Events": {
      "arn": string
      "name": string
      "type": "sst.sst.Linkable"
    }
    "Images": {
      "name": string
      "type": "sst.sst.Linkable"
    }
    "JPEG": {
      "name": string
      "type": "sst.sst.Linkable"
    }
    "Limits": {
      "maxInputPixels": number
      "maxUploadBytes": number
      "uploadsInFlight": number
      "uploadsInFlightPerAddress": number
      "uploadsPerMinute": number
      "uploadsPerMinutePerAddress": number
      "type": "sst.sst.Linkable"
    }
    "OwnerCookiePreviousSecret": {
      "type": "sst.sst.Secret"
      "value": string
    }
    "OwnerCookieSecret": {
      "type": "sst.sst.Secret"
      "value": string
    }
    "PNG": {
      "name": string
      "type": "sst.sst.Linkable"
    }
    "Router": {
      "type": "sst.aws.Router"
      "url": string
    }
    "TransformSecret": {
      "type": "sst.sst.Secret"
      "value": string
    }
    "Transforms": {
      "name": string
      "type": "sst.aws.Bucket"
    }
    "Uploads": {
      "name": string
      "type": "sst.sst.Linkable"
      "versioned": boolean
    }
    "Webhook": {
      "maxAttempts": number
      "queueUrl": string
      "retryBaseSeconds": number
      "timeoutSeconds": number
      "type": "sst.sst.Linkable"
      "url": string
    }
    "WebhookSecret": {
      "type": "sst.sst.Secret"
      "value": string
    }
    "WebP": {
      "name": string
      "type": "sst.sst.Linkable"
    }
  }
}
export {}
