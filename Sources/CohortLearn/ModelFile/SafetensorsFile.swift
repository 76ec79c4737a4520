import Foundation

/// Reads and writes model weights as safetensors files, the format of Hugging Face's
/// `safetensors` library, so a Cohort model opens in Python unchanged.
///
/// A file is three parts (https://github.com/huggingface/safetensors):
///
/// 1. 8 bytes: N, the header length, an unsigned 64-bit little-endian integer;
/// 2. N bytes: the header, a UTF-8 JSON object mapping each tensor's name to
///    `{"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}`, plus an optional
///    `"__metadata__"` object whose values are all strings;
/// 3. the data buffer: each tensor's elements in row-major order, little-endian. Offsets
///    count from the start of the buffer, `end` exclusive; the ranges are contiguous,
///    do not overlap and cover the buffer exactly.
///
/// Cohort stores only `F32`. Writing is canonical: every JSON object's keys in UTF-8 byte
/// order, compact JSON, the header padded with spaces so N is a multiple of 8 (as the
/// reference writer does, which keeps the buffer 8-byte aligned), `__metadata__` left
/// out when the metadata is empty, and the tensors laid out in the buffer in the order of
/// the `NamedTensors`. Reading returns the tensors in the order of their data offsets, so a
/// Cohort file reads back in the order it was written (zero-element tensors that share an
/// offset come back in name order: the file cannot tell them apart).
///
/// Reading rejects a malformed file with a `ModelFileError` naming the file (see
/// `decode(_:source:)` for the checks). It follows the reference reader, within F32, with
/// two differences: a name repeated in one JSON object (two tensors called `"a"`, or a
/// metadata key twice) is an error here, where the reference keeps one of them silently;
/// and an integral number written as a float (`2.0` in a shape) is read as an integer,
/// where the reference refuses it. Like the reference, it ignores unknown fields of a
/// tensor entry, allows whitespace around the header's JSON, and reads a `null`
/// `__metadata__` as none.
///
/// Little-endian hosts only (every platform Swift ships on today); both directions stop
/// with a precondition on a big-endian host.
public enum SafetensorsFile {
    /// The largest header accepted and written, in bytes: the reference implementation's limit.
    public static let maximumHeaderLength = 100_000_000

    /// The key of the header's metadata object.
    public static let metadataKey = "__metadata__"

    /// Writes `tensors` and `metadata` to `url` atomically.
    ///
    /// The bytes go to a temporary file in the same directory, which is flushed to disk and
    /// then renamed over `url` (Foundation's `Data.WritingOptions.atomic`), so a crash
    /// leaves either the old file or the whole new one, never half a model.
    ///
    /// - Throws: `ModelFileError` with `.invalidTensorName` for a tensor named
    ///   `__metadata__`, `.headerTooLarge` when the header would pass
    ///   `maximumHeaderLength`, `.unwritableFile` when the file system refuses.
    public static func write(_ tensors: NamedTensors, metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        let bytes = try encode(tensors, metadata: metadata, source: path)
        do {
            try bytes.write(to: url, options: .atomic)
        } catch {
            throw ModelFileError(.unwritableFile, "cannot write the model file: \(error.localizedDescription)",
                                 path: path, cause: error)
        }
    }

    /// Reads the tensors and metadata of the safetensors file at `url`, validating all of it.
    ///
    /// The tensors come in the order of their data offsets (see the type's notes).
    ///
    /// - Throws: `ModelFileError`, whose `code` says which rule the file breaks and whose
    ///   message names the file and, where there is one, the tensor.
    public static func read(from url: URL) throws -> (tensors: NamedTensors, metadata: [String: String]) {
        let path = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw ModelFileError(.unreadableFile, "cannot read the model file: \(error.localizedDescription)",
                                 path: path, cause: error)
        }
        return try decode(bytes, source: path)
    }

    static func requireLittleEndianHost() {
        precondition(1.littleEndian == 1,
                     "safetensors files are little-endian; Cohort does not support big-endian hosts")
    }
}
