/// How large one gRPC message may be, and how payloads are cut to stay under that.
///
/// Model weights of tens of MB never travel in one message: updates (`SubmitUpdate`), global
/// models (the task stream) and model files (`FetchModel`) are streamed in chunks of
/// ``chunkBytes``, each well below ``maxMessageBytes``. Both ends decode with the same limit:
/// a larger message is dropped before it is buffered whole. (With grpc-swift-nio-transport
/// 2.9 the server then resets the HTTP/2 stream, so the sender sees `unavailable`, not
/// `resourceExhausted`; the client does not check its own outgoing messages.)
public struct MessageLimits: Sendable, Hashable, CustomStringConvertible {
    /// The largest serialized message either end accepts, in bytes.
    public var maxMessageBytes: Int
    /// The payload bytes per chunk of a streamed model or update.
    public var chunkBytes: Int

    /// Room left in every chunked message for its framing and small fields.
    public static let chunkOverheadBytes = 4 * 1024

    /// 8 MiB messages, 1 MiB chunks: a 1M-parameter float32 model (4 MB) is four chunks.
    public static let `default` = MessageLimits(maxMessageBytes: 8 * 1024 * 1024, chunkBytes: 1024 * 1024)

    /// Creates limits; see ``validate()``.
    public init(maxMessageBytes: Int, chunkBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.chunkBytes = chunkBytes
    }

    /// Throws unless a chunk (whole float32 values) plus its overhead fits in a message.
    ///
    /// - Throws: ``TransportConfigurationError`` naming the field.
    public func validate() throws {
        guard chunkBytes > 0, chunkBytes % MemoryLayout<Float>.size == 0 else {
            throw TransportConfigurationError(
                field: "chunkBytes", message: "must be a positive multiple of 4 (whole float32 values), got \(chunkBytes)")
        }
        guard chunkBytes + Self.chunkOverheadBytes <= maxMessageBytes else {
            throw TransportConfigurationError(
                field: "maxMessageBytes",
                message: "\(maxMessageBytes) bytes cannot hold a chunk of \(chunkBytes) bytes plus "
                    + "\(Self.chunkOverheadBytes) bytes of framing")
        }
    }

    /// The number of chunks a payload of `byteCount` bytes is sent in (at least one, so that
    /// an empty payload still has a chunk to carry it).
    public func chunkCount(forPayloadBytes byteCount: Int) -> Int {
        precondition(byteCount >= 0, "a payload cannot have \(byteCount) bytes")
        return max(1, (byteCount + chunkBytes - 1) / chunkBytes)
    }

    public var description: String { "messages ≤ \(maxMessageBytes) bytes, chunks of \(chunkBytes) bytes" }
}
