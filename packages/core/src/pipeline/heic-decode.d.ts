// heic-decode ships no types (its README's API): one call, the primary image as 8-bit RGBA.
declare module "heic-decode" {
  interface DecodedHeic {
    readonly width: number;
    readonly height: number;
    readonly data: Uint8ClampedArray;
  }
  export default function decode(input: { buffer: Uint8Array }): Promise<DecodedHeic>;
}
