// libheif-js types only its raw WebAssembly exports; these are the parts of its JavaScript wrapper
// (libheif-wasm/libheif-bundle.js, `HeifDecoder` and `HeifImage`) that pipeline/heic.ts calls.
declare module "libheif-js/wasm-bundle" {
  interface HeifImage {
    get_width(): number;
    get_height(): number;
    is_primary(): boolean;
    has_alpha_channel(): boolean;
    /** Decodes to interleaved 8-bit RGBA with the file's transforms (irot, imir) applied, into `target.data`. */
    display(target: { data: Uint8Array; width: number; height: number }, done: (result: unknown) => void): void;
    free(): void;
  }
  class HeifDecoder {
    /** The top-level images of the file; empty when libheif cannot parse it. */
    decode(input: Uint8Array): HeifImage[];
    readonly decoder: { delete(): void } | null;
  }
  const libheif: { readonly HeifDecoder: typeof HeifDecoder };
  export default libheif;
}
