/// Why the orchestrator's run store cannot be opened, read or written, or refuses a change:
/// a damaged log line, a checkpoint that does not match its log, an unknown run, a change
/// the run's state does not allow.
public struct RunStoreError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A file could not be opened, read, locked or decoded.
        public static let unreadableFile = Code("unreadableFile")
        /// A file could not be written and synced.
        public static let writeFailed = Code("writeFailed")
        /// A line of `runs.log` before its last is damaged or out of the chain (edited,
        /// deleted, reordered), or describes something impossible.
        public static let brokenLog = Code("brokenLog")
        /// A checkpoint or model file is missing, or its SHA-256 differs from the log's.
        public static let corruptFile = Code("corruptFile")
        /// No run has this id.
        public static let unknownRun = Code("unknownRun")
        /// The run's state does not allow the change (finishing a finished run, recording a
        /// round out of order).
        public static let invalidChange = Code("invalidChange")
        /// Another process has the store open.
        public static let locked = Code("locked")

        /// The code's name, e.g. `brokenLog`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The file concerned (the store's directory when no one file is).
    public var path: String
    /// The line of `runs.log` concerned, from 1, if one is.
    public var line: Int?
    /// What went wrong, without the path and line.
    public var detail: String

    public init(_ code: Code, path: String, line: Int? = nil, _ detail: String) {
        self.code = code
        self.path = path
        self.line = line
        self.detail = detail
    }

    /// `PATH:LINE: DETAIL`, or `PATH: DETAIL`.
    public var message: String { line.map { "\(path):\($0): \(detail)" } ?? "\(path): \(detail)" }

    /// The message.
    public var description: String { message }
}
