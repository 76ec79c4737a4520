import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an audit log's chain stood after its latest append: how many events it held and
/// the SHA-256 of its last line. `AuditLog` keeps it in a small file beside the log
/// (`audit.jsonl.head` for `audit.jsonl`), rewritten after every append.
///
/// The hash chain shows an edited, inserted, reordered or deleted line, but not lines cut
/// from the end: what is left is a shorter, intact chain. The head file shows that: a log
/// with fewer events than its head file records was truncated, and one whose line N (N the
/// recorded count) does not hash to the recorded head was rewritten from there on
/// (`AuditLog.verify(fileAt:head:)`, `cohort audit verify`).
///
/// The file is written after the line it describes is synced to the log, so it never
/// records more than the log holds: a crash between the two (or before the file itself
/// reaches the disk; it is not synced) leaves it behind the log, which still verifies. It
/// lives where the log lives, so whoever can rewrite both can hide a truncation; the copies
/// a site sends the orchestrator with its updates (`AuditAnchor`) anchor the chain against that.
///
/// ```json
/// {"events":42,"head":"9f2c…"}
/// ```
public struct AuditHead: Codable, Sendable, Hashable {
    /// The number of events (lines) the log held.
    public var events: Int
    /// The SHA-256 of its last line (64 zeros for an empty log).
    public var head: String

    public init(events: Int, head: String) {
        self.events = events
        self.head = head
    }

    /// The head file of the log at `log`: the same path with `.head` appended.
    public static func url(forLog log: URL) -> URL {
        log.deletingLastPathComponent().appendingPathComponent(log.lastPathComponent + ".head")
    }

    /// The head file at `url`, nil when there is none (a log written before head files).
    ///
    /// - Throws: `AuditLogError` `.unreadableFile` when it exists but cannot be read or
    ///   decoded, naming the file.
    public static func read(from url: URL) throws(AuditLogError) -> AuditHead? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            let head = try JSONDecoder().decode(AuditHead.self, from: Data(contentsOf: url))
            guard head.events >= 0, head.head.count == 64 else {
                throw AuditLogError(.unreadableFile, path: url.path, "not an audit head file: events must be ≥ 0 and head 64 hex digits")
            }
            return head
        } catch let error as AuditLogError {
            throw error
        } catch {
            throw AuditLogError(.unreadableFile, path: url.path, "not a readable audit head file: \(error)")
        }
    }

    /// Replaces the file at `url` with this head: a temporary file renamed into place, so a
    /// reader finds the old head or the new one.
    ///
    /// Synced before the rename: on a file system that does not flush a renamed file's data
    /// (XFS, ext4 with noauto_da_alloc), a crash could otherwise leave an empty head file, and
    /// a site refuses to start on a head it cannot read.
    func write(to url: URL) throws(AuditLogError) {
        let bytes = Array(#"{"events":\#(events),"head":"\#(head)"}"#.utf8) + [UInt8(ascii: "\n")]
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AuditLogError(.writeFailed, path: temporary.path, "cannot create the audit head file: \(String(cString: strerror(errno)))")
        }
        let written = bytes.withUnsafeBytes { AuditFile.writeAll($0, to: descriptor) } && fsync(descriptor) == 0
        _ = close(descriptor)
        guard written, rename(temporary.path, url.path) == 0 else {
            throw AuditLogError(.writeFailed, path: url.path, "cannot write the audit head file: \(String(cString: strerror(errno)))")
        }
    }
}
