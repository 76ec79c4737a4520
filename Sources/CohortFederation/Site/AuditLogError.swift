/// An audit log that cannot be opened, read or written, or whose last line is not an intact
/// entry (so the chain cannot be resumed).
public struct AuditLogError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file could not be opened, read or locked.
        public static let unreadableFile = Code("unreadableFile")
        /// A line could not be written and synced.
        public static let writeFailed = Code("writeFailed")
        /// The log's last line is incomplete or not an intact entry.
        public static let brokenLog = Code("brokenLog")

        /// The code's name, e.g. `brokenLog`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The log file's path.
    public var path: String
    /// What went wrong, without the path.
    public var detail: String

    public init(_ code: Code, path: String, _ detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    /// `PATH: DETAIL`.
    public var message: String { "\(path): \(detail)" }

    /// The message.
    public var description: String { message }
}
