import Foundation

/// A site's append-only audit log: one JSON line per event (`AuditEntry`), each carrying the
/// SHA-256 of the line before it, so that editing, deleting, reordering or inserting a line
/// shows (`AuditLog.verify(fileAt:)`, `cohort audit verify`).
///
/// Each append writes one whole line to a file opened with `O_APPEND`, under an exclusive
/// `flock`, then `fsync`s it before returning: an event the site has logged is on disk
/// before the site acts on it. Appends from many tasks are serialised by the actor; appends
/// from another `AuditLog` or process on the same file are serialised by the lock, and the
/// chain continues from whatever line is last.
///
/// After each line, the chain's count and head go to the head file beside the log
/// (`AuditHead`, `audit.jsonl.head`), so that lines cut from the end show: a log shorter
/// than its head file says is not resumed (`AuditLogError` `.brokenLog`), and
/// `cohort audit verify` reports it with how many lines are missing.
///
/// ```swift
/// let log = try AuditLog(fileAt: policy.auditLog.url)
/// try await log.append(.taskRefused, details: ["run": "run-7", "reasons": ["…"]])
/// ```
public actor AuditLog {
    /// The log file.
    public nonisolated let url: URL
    private let file: AuditFile
    private let now: @Sendable () -> Date
    /// Entries in the file (the last `seq`).
    public private(set) var count: Int
    /// The SHA-256 of the last line (the next line's `prev`); 64 zeros for an empty log.
    /// Recording it elsewhere (a report, the orchestrator) anchors the whole chain.
    public private(set) var head: String
    /// The file's size after our last append or resume; another size means another writer.
    private var knownSize: Int
    /// The head file, rewritten after every append.
    public nonisolated let headURL: URL

    /// The count and head together, as of the last line appended: what a site sends the
    /// orchestrator with each update, to be kept off the site's machine.
    public var currentHead: AuditHead { AuditHead(events: count, head: head) }

    /// Opens the log at `url`, creating it if absent; an existing log resumes its chain
    /// from its last line, whose own hash is checked (`verify(fileAt:)` checks them all).
    ///
    /// - Parameter now: the clock for entries' `time` (tests pass a fixed one).
    /// - Throws: `AuditLogError` when the file cannot be opened or read, or `.brokenLog`
    ///   when its last line is incomplete or not an intact entry, or the log holds fewer
    ///   events than its head file records (lines cut from the end) or not the line it
    ///   records (the log is then left as it is, for the operator to inspect).
    public init(fileAt url: URL, now: @escaping @Sendable () -> Date = { Date() }) throws(AuditLogError) {
        let file = try AuditFile(path: url.path)
        let headURL = AuditHead.url(forLog: url)
        let (count, head, size) = try file.withLock { () throws(AuditLogError) in
            let resumed = try Self.resume(file)
            if let recorded = try AuditHead.read(from: headURL) {
                try Self.check(recorded, headFile: headURL, count: resumed.count, head: resumed.head, file: file)
            }
            return resumed
        }
        self.headURL = headURL
        self.url = url
        self.file = file
        self.now = now
        self.count = count
        self.head = head
        self.knownSize = size
    }

    /// Appends one entry and syncs it to disk.
    ///
    /// - Returns: the entry as written.
    /// - Throws: `AuditLogError` when it cannot be written, or when another writer left
    ///   the log with a broken last line.
    @discardableResult
    public func append(_ event: AuditEvent, details: [String: AuditValue] = [:]) throws(AuditLogError) -> AuditEntry {
        let time = Self.timestamp(now())
        let (entry, size) = try file.withLock { () throws(AuditLogError) -> (AuditEntry, Int) in
            var size = try file.size()
            if size < knownSize {
                throw AuditLogError(
                    .brokenLog, path: file.path,
                    "the log shrank from \(knownSize) to \(size) bytes while open (lines cut from the end?); run `cohort audit verify` on it")
            }
            if size != knownSize {
                (count, head, size) = try Self.resume(file)
            }
            let entry = AuditEntry(seq: count + 1, time: time, event: event, details: details, prev: head)
            let bytes = Array(entry.line.utf8) + [UInt8(ascii: "\n")]
            try file.append(bytes)
            // After the line is synced: the head file never records more than the log holds.
            try AuditHead(events: entry.seq, head: entry.lineHash).write(to: headURL)
            return (entry, size + bytes.count)
        }
        count = entry.seq
        head = entry.lineHash
        knownSize = size
        return entry
    }

    /// The count, head and size of the log in `file`, from its last line.
    private static func resume(_ file: borrowing AuditFile) throws(AuditLogError) -> (count: Int, head: String, size: Int) {
        let size = try file.size()
        guard let bytes = try file.lastLine(size: size) else { return (0, AuditEntry.firstPrevious, 0) }
        let line = String(decoding: bytes, as: UTF8.self)
        let entry: AuditEntry
        do {
            entry = try AuditEntry(line: line)
        } catch {
            throw AuditLogError(
                .brokenLog, path: file.path, "the last line is not an intact entry (\(error.reason)); run `cohort audit verify` on it")
        }
        return (entry.seq, entry.lineHash, size)
    }

    /// Checks the log (`count` events, last line hashing to `head`) against its head file.
    private static func check(
        _ recorded: AuditHead, headFile: URL, count: Int, head: String, file: borrowing AuditFile
    ) throws(AuditLogError) {
        if recorded.events == count && recorded.head == head { return }
        let problem: String?
        if recorded.events > count {
            problem = AuditVerification.truncated(events: count, recorded: recorded.events, headFile: headFile.lastPathComponent).description
        } else {
            // Lines appended after the head file was written (a crash between the two): the
            // line it records must still be there.
            problem = AuditChain(try file.readAll()).problem(against: recorded, headFile: headFile)
        }
        guard let problem else { return }
        throw AuditLogError(.brokenLog, path: file.path, "\(problem); run `cohort audit verify` on it")
    }

    /// `date` in ISO 8601, UTC, with milliseconds: `2025-06-01T09:30:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}
