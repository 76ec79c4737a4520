/// A model file that cannot be read or written: the file (or the disk) is wrong, not the program.
///
/// `message` is complete on its own and begins with the file's path, then the tensor's
/// name where one is involved, so a person knows which file to look at and where:
///
/// ```
/// runs/r7/round-12.safetensors: tensor "dense0.weight" has dtype "F16"; Cohort reads only F32 (32-bit float) model files
/// ```
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for code that reacts to particular failures.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The file could not be opened or read.
        case unreadableFile
        /// The file (or the temporary file beside it) could not be written or moved into place.
        case unwritableFile
        /// A tensor's name cannot be stored (`__metadata__` is reserved by the format).
        case invalidTensorName
        /// The file has fewer than the 8 bytes that hold the header length.
        case fileTooShort
        /// The header length is over the 100 MB limit of the reference implementation.
        case headerTooLarge
        /// The header length says the header runs past the end of the file.
        case headerBeyondEndOfFile
        /// The header bytes are not valid UTF-8.
        case headerNotUTF8
        /// The header is not valid JSON, or is JSON but not an object.
        case invalidHeader
        /// A name appears twice in one JSON object of the header: a tensor name, a metadata
        /// key, or a field of one tensor entry.
        case duplicateName
        /// A tensor entry is not an object, lacks `dtype`, `shape` or `data_offsets`, or one
        /// of them has the wrong JSON type.
        case invalidTensorEntry
        /// A tensor's dtype is not `F32`.
        case unsupportedDType
        /// A shape has a negative or non-integer dimension, or too many elements to address.
        case invalidShape
        /// `data_offsets` is not a pair of non-negative integers `[begin, end]` with begin ≤ end.
        case invalidOffsets
        /// A tensor's byte range is not 4 × the product of its shape.
        case byteCountMismatch
        /// Two tensors' byte ranges overlap.
        case overlappingTensors
        /// Bytes of the data buffer belong to no tensor (the format requires full coverage).
        case unusedBytes
        /// A tensor's byte range lies beyond the end of the data buffer, and the layout is
        /// inconsistent in other ways too (so it is not simply a cut-off file).
        case offsetsOutOfBounds
        /// The header describes a consistent layout, but the file ends before its last byte.
        case truncatedFile
        /// `__metadata__` is not an object whose values are all strings.
        case invalidMetadata
    }

    /// What went wrong.
    public var code: Code
    /// The full human-readable text, path first.
    public var message: String
    /// The file the error is about (or the caller's description of in-memory bytes).
    public var path: String
    /// The tensor the error is about, where there is one.
    public var tensorName: String?
    /// The underlying error (from the file system or the JSON parser), if any.
    public var cause: (any Error)?

    /// An error whose `message` is `detail` preceded by the path.
    public init(_ code: Code, _ detail: String, path: String, tensorName: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.path = path
        self.tensorName = tensorName
        self.cause = cause
        self.message = "\(path): \(detail)"
    }

    /// The message.
    public var description: String { message }
}
