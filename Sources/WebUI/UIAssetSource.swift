/// One file of the UI as `scripts/gen-ui-assets.py` embeds it: its path under `assets/`, its
/// type, and its bytes raw and gzip-compressed, each as base64 text (string literals compile
/// quickly where large byte-array literals do not).
struct UIAssetSource {
    let path: String
    let contentType: String
    let raw: String
    let gzip: String
}
