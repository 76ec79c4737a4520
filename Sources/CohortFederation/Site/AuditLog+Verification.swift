import Foundation

/// The result of checking an audit log's chain (`AuditLog.verify(fileAt:)`).
public enum AuditVerification: Sendable, Hashable, CustomStringConvertible {
    /// Every line is an intact entry chained to the one before; `head` is the SHA-256 of
    /// the last line (64 zeros for an empty log), to compare with a copy kept elsewhere.
    case ok(events: Int, head: String)
    /// The first line (from 1) that is not, and why.
    case broken(line: Int, reason: String)
    /// Every line is intact and chained, but the log holds fewer `events` than its head file
    /// (named `headFile`) records: lines were cut from the end.
    case truncated(events: Int, recorded: Int, headFile: String)

    /// Whether the chain is intact.
    public var isIntact: Bool {
        if case .ok = self { return true }
        return false
    }

    /// "ok: 12 events, chain intact", or "line 7: hash does not match its content (edited?)".
    public var description: String {
        switch self {
        case .ok(let events, _): "ok: \(events) event\(events == 1 ? "" : "s"), chain intact"
        case .broken(let line, let reason): "line \(line): \(reason)"
        case .truncated(let events, let recorded, let headFile):
            "truncated: \(events) event\(events == 1 ? "" : "s"), but \(headFile) records \(recorded): "
                + "\(recorded - events) line\(recorded - events == 1 ? " is" : "s are") missing at the end"
        }
    }
}

extension AuditLog {
    /// Checks every line of the log at `url`: each is complete, valid JSON and an intact
    /// entry (its `hash` matches its content), its `prev` is the SHA-256 of the line before
    /// (64 zeros on the first), and its `seq` is its line number.
    ///
    /// With `head` (the log's head file, `AuditHead`), also that the log holds at least the
    /// events it records and that the line it records last hashes to its head: lines cut from
    /// the end are `.truncated`, a log rewritten from some line on is `.broken` there.
    ///
    /// What it cannot see without a head: lines removed from the end, or every line from an
    /// edit to the end rewritten with fresh hashes. Whoever can rewrite the head file too can
    /// hide that; copies of the head kept elsewhere cannot be fooled so (the orchestrator's
    /// anchors, `verify(fileAt:head:headFile:anchors:)`).
    ///
    /// - Throws: `AuditLogError` `.unreadableFile` when the file cannot be read.
    public static func verify(fileAt url: URL, head: AuditHead? = nil, headFile: String? = nil) throws(AuditLogError) -> AuditVerification {
        verify(try bytes(ofLogAt: url), head: head, headFile: headFile ?? AuditHead.url(forLog: url).lastPathComponent)
    }

    /// Checks the chain of a log's bytes (see `verify(fileAt:head:)`).
    public static func verify(_ bytes: [UInt8], head: AuditHead? = nil, headFile: String = "the head file") -> AuditVerification {
        verification(of: AuditChain(bytes), head: head, headFile: headFile)
    }

    /// The bytes of the log at `url`.
    ///
    /// - Throws: `AuditLogError` `.unreadableFile` when the file cannot be read.
    static func bytes(ofLogAt url: URL) throws(AuditLogError) -> [UInt8] {
        do {
            return Array(try Data(contentsOf: url))
        } catch {
            throw AuditLogError(.unreadableFile, path: url.path, "cannot read the audit log: \(error.localizedDescription)")
        }
    }

    /// The verification of a log read into `chain`, against its head file's `head` if given.
    static func verification(of chain: AuditChain, head: AuditHead?, headFile: String) -> AuditVerification {
        if let broken = chain.broken { return .broken(line: broken.line, reason: broken.reason) }
        if let recorded = head {
            if recorded.events > chain.entries.count {
                return .truncated(events: chain.entries.count, recorded: recorded.events, headFile: headFile)
            }
            if let reason = chain.mismatch(with: recorded, headFile: headFile) { return .broken(line: max(recorded.events, 1), reason: reason) }
        }
        return .ok(events: chain.entries.count, head: chain.head)
    }
}

/// A log's lines read in order, up to the first that is not an intact entry chained to the
/// one before: what `AuditLog.verify(_:)` reports on, and what a store built on the same
/// line format (`RunStore`) replays.
struct AuditChain {
    /// Why a line breaks the chain.
    struct Break {
        /// The line's number, from 1.
        var line: Int
        var reason: String
        /// Whether the line itself is damaged (incomplete, not JSON, its own hash wrong), as
        /// opposed to intact but not following the line before.
        var isDamagedLine: Bool
    }

    /// The intact, chained entries before the first break.
    var entries: [AuditEntry] = []
    /// The SHA-256 of the last intact line (64 zeros when there is none).
    var head = AuditEntry.firstPrevious
    /// The byte count of the intact lines, newlines included.
    var intactBytes = 0
    /// The number of lines in the bytes (a last line without its newline included).
    var lineCount = 0
    /// The first break, or nil when every line is intact.
    var broken: Break?
    /// The SHA-256 of each intact line.
    var lineHashes: [String] = []

    /// Reads `bytes` line by line: each must be complete, valid JSON and an intact entry
    /// (its `hash` matches its content), its `prev` the SHA-256 of the line before (64 zeros
    /// on the first), and its `seq` its line number.
    init(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let complete = lines.last?.isEmpty == true
        if complete { lines.removeLast() }
        lineCount = lines.count
        for (index, bytes) in lines.enumerated() {
            let number = index + 1
            if !complete && number == lines.count {
                broken = Break(line: number, reason: "incomplete, no newline at the end (truncated?)", isDamagedLine: true)
                return
            }
            if bytes.isEmpty {
                broken = Break(line: number, reason: "empty line (the log has one entry per line)", isDamagedLine: true)
                return
            }
            let entry: AuditEntry
            do {
                entry = try AuditEntry(line: String(decoding: bytes, as: UTF8.self))
            } catch {
                broken = Break(line: number, reason: error.reason, isDamagedLine: true)
                return
            }
            if entry.prev != head {
                let reason = number == 1
                    ? "prev is not 64 zeros, so this is not the first entry (lines deleted from the start?)"
                    : "prev does not match line \(number - 1) (deleted, inserted or reordered?)"
                broken = Break(line: number, reason: reason, isDamagedLine: false)
                return
            }
            if entry.seq != number {
                broken = Break(
                    line: number, reason: "seq is \(entry.seq), expected \(number) (deleted, inserted or reordered?)",
                    isDamagedLine: false)
                return
            }
            head = SHA256.hexDigest(bytes)
            lineHashes.append(head)
            intactBytes += bytes.count + 1
            entries.append(entry)
        }
    }

    /// Why the intact lines do not hold what `recorded` says the log held (nil when they
    /// do, or when they hold fewer events: that is truncation, told apart by the caller).
    func mismatch(with recorded: AuditHead, headFile: String) -> String? {
        guard recorded.events <= lineHashes.count else { return nil }
        let hash = recorded.events == 0 ? AuditEntry.firstPrevious : lineHashes[recorded.events - 1]
        guard hash != recorded.head else { return nil }
        return "not the line \(headFile) records as event \(recorded.events) (its hash differs: the log was rewritten from here?)"
    }

    /// What is wrong with the log against its head file, for a log being resumed: a broken
    /// chain, fewer events than recorded, or another line where the recorded one was.
    func problem(against recorded: AuditHead, headFile: URL) -> String? {
        if let broken { return "line \(broken.line): \(broken.reason)" }
        if recorded.events > entries.count {
            return AuditVerification.truncated(events: entries.count, recorded: recorded.events, headFile: headFile.lastPathComponent).description
        }
        return mismatch(with: recorded, headFile: headFile.lastPathComponent).map { "line \(max(recorded.events, 1)): \($0)" }
    }
}
