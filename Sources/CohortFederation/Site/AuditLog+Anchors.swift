import Foundation

/// How a site's audit log stands against one anchor the orchestrator recorded for it
/// (`AuditAnchor`).
public enum AuditAnchorCheck: Sendable, Hashable, CustomStringConvertible {
    /// Line `events` of the log hashes to the anchor's hash: the log's first `events` lines
    /// are the ones the site had written when it sent the anchor.
    case matches(AuditAnchor)
    /// The log's chain is intact but holds only `events` events, fewer than the anchor
    /// records: lines were cut from the end.
    case truncated(AuditAnchor, events: Int)
    /// Line `anchor.events` hashes to `lineHash`, not to the anchor's hash: the log was
    /// rewritten at or before that line (with fresh hashes, or the chain would break).
    case differs(AuditAnchor, lineHash: String)
    /// The chain breaks at `line`, at or before the anchor's last line.
    case beyondBreak(AuditAnchor, line: Int)

    /// The anchor checked.
    public var anchor: AuditAnchor {
        switch self {
        case .matches(let anchor), .truncated(let anchor, _), .differs(let anchor, _), .beyondBreak(let anchor, _): anchor
        }
    }

    /// Whether the log holds the anchored line.
    public var isMatch: Bool {
        if case .matches = self { return true }
        return false
    }

    /// "truncated: the orchestrator recorded 40 events at round 5 of run-…, the log has 31", or
    /// "line 12 hashes to 3fa9…, the orchestrator recorded 9e1b… for round 3 of run-…".
    public var description: String {
        switch self {
        case .matches(let anchor):
            "\(anchor.roundName): line \(anchor.events) matches the orchestrator's anchor"
        case .truncated(let anchor, let events):
            "truncated: the orchestrator recorded \(anchor.events) events at \(anchor.roundName), the log has \(events)"
        case .differs(let anchor, let lineHash):
            "line \(anchor.events) hashes to \(lineHash), the orchestrator recorded \(anchor.hash) for \(anchor.roundName) "
                + "(the log was rewritten at or before this line)"
        case .beyondBreak(let anchor, let line):
            "\(anchor.roundName): the orchestrator recorded \(anchor.events) events, but the chain breaks at line \(line)"
        }
    }
}

extension AuditLog {
    /// Checks the log at `url` as `verify(fileAt:head:headFile:)` does, and against each of
    /// `anchors`, the heads its site sent the orchestrator (see `AuditAnchor`): the log must
    /// hold at least `events` intact, chained lines, and its line `events` must hash to the
    /// anchor's hash. The file is read, and its chain checked, once for all of them.
    ///
    /// A head file beside the log can be rewritten with it; an anchor cannot, so a log cut
    /// below an anchor, or rewritten from some line on with fresh hashes, shows here even when
    /// its head file was made to agree.
    ///
    /// - Returns: the chain's verification, and one check per anchor, in the anchors' order.
    /// - Throws: `AuditLogError` `.unreadableFile` when the file cannot be read.
    public static func verify(fileAt url: URL, head: AuditHead? = nil, headFile: String? = nil, anchors: [AuditAnchor])
        throws(AuditLogError) -> (chain: AuditVerification, anchors: [AuditAnchorCheck]) {
        verify(try bytes(ofLogAt: url), head: head, headFile: headFile ?? AuditHead.url(forLog: url).lastPathComponent, anchors: anchors)
    }

    /// Checks a log's bytes against its head and `anchors` (see `verify(fileAt:head:headFile:anchors:)`).
    public static func verify(_ bytes: [UInt8], head: AuditHead? = nil, headFile: String = "the head file", anchors: [AuditAnchor])
        -> (chain: AuditVerification, anchors: [AuditAnchorCheck]) {
        let chain = AuditChain(bytes)
        return (verification(of: chain, head: head, headFile: headFile), anchors.map(chain.check))
    }
}

extension AuditChain {
    /// How the intact lines stand against `anchor`.
    func check(_ anchor: AuditAnchor) -> AuditAnchorCheck {
        guard anchor.events >= 1 else {
            // Not a head a site sends (`AuditHead.anchorProblem`); nothing before line 1 to compare.
            return .differs(anchor, lineHash: AuditEntry.firstPrevious)
        }
        guard anchor.events <= lineHashes.count else {
            if let broken { return .beyondBreak(anchor, line: broken.line) }
            return .truncated(anchor, events: lineHashes.count)
        }
        let lineHash = lineHashes[anchor.events - 1]
        return lineHash == anchor.hash ? .matches(anchor) : .differs(anchor, lineHash: lineHash)
    }
}
