import Foundation

/// A copy of a site's audit head kept off the site's machine: the head (event count and
/// SHA-256 of the last line) that the site sent the orchestrator with its update, evaluation
/// or refusal in `round` of `run`, as the round's record holds it (`RoundRecord.auditAnchors`);
/// round 0 is a refused preprocessing's, which the orchestrator keeps with the refusal
/// (`RunRefusal`), since no round record exists yet.
///
/// The head file (`AuditHead`) lives beside the log, so whoever can rewrite both can hide
/// lines cut from the end or a tail rewritten with fresh hashes. An anchor lives at the
/// orchestrator and in the researcher's run folder: it fixes the log's first `events` lines,
/// since line `events` must hash to `hash` and every line carries the hash of the one before.
/// `cohort audit verify FILE --anchors ANCHORS --site NAME` checks a log against every anchor
/// of its site (`AuditLog.verify(_:head:headFile:anchors:)`).
///
/// A run folder lists them in `site-audit-anchors.jsonl`, one line per site and round:
///
/// ```json
/// {"events":40,"hash":"9f2c…","round":5,"run":"run-0001-3fa9c2d1","site":"hospital-a"}
/// ```
public struct AuditAnchor: Codable, Sendable, Hashable {
    /// The run whose round recorded it (nil when the file does not say).
    public var run: String?
    /// The round whose record holds it.
    public var round: Int
    /// The site that sent it (the name in its certificate).
    public var site: String
    /// How many events the site's log held.
    public var events: Int
    /// The SHA-256 of its line `events`, 64 lowercase hex digits.
    public var hash: String

    public init(run: String? = nil, round: Int, site: String, events: Int, hash: String) {
        self.run = run
        self.round = round
        self.site = site
        self.events = events
        self.hash = hash
    }

    /// The head this anchor records.
    public var head: AuditHead { AuditHead(events: events, head: hash) }

    /// "round 5 of run-0001-3fa9c2d1", or "round 5" when the run is not known; round 0 is the
    /// preprocessing ("the preprocessing (round 0) of run-…", a refusal's anchor).
    public var roundName: String {
        (round == 0 ? "the preprocessing (round 0)" : "round \(round)") + (run.map { " of \($0)" } ?? "")
    }

    /// The anchor as one line of `site-audit-anchors.jsonl` (keys sorted, no newline).
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings and integers only: encoding cannot fail.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The anchors of a `site-audit-anchors.jsonl` file, in file order.
    ///
    /// - Throws: `AuditLogError` `.unreadableFile` naming the file, and the line when one is
    ///   not an anchor or its head could not anchor a log (`AuditHead.anchorProblem`).
    public static func read(from url: URL) throws(AuditLogError) -> [AuditAnchor] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AuditLogError(.unreadableFile, path: url.path, "cannot read the anchors: \(error.localizedDescription)")
        }
        var anchors = [AuditAnchor]()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let anchor: AuditAnchor
            do {
                anchor = try JSONDecoder().decode(AuditAnchor.self, from: Data(line.utf8))
            } catch {
                throw AuditLogError(.unreadableFile, path: url.path, "line \(index + 1): not an audit anchor "
                                    + "({\"round\", \"site\", \"events\", \"hash\"}): \(error)")
            }
            if let problem = anchor.head.anchorProblem {
                throw AuditLogError(.unreadableFile, path: url.path, "line \(index + 1): \(problem)")
            }
            anchors.append(anchor)
        }
        return anchors
    }
}

extension AuditHead {
    /// Why this head, as a site sent it, cannot anchor the site's log, or nil when it can: a
    /// site sends its head after writing at least the lines that admitted the task, so it
    /// counts at least one event, and the hash of a line is 64 lowercase hex digits.
    public var anchorProblem: String? {
        guard events >= 1 else { return "events must be at least 1, got \(events)" }
        let isHex = head.utf8.count == 64 && head.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        guard isHex else {
            // A peer's string, shown short.
            let shown = head.count > 70 ? String(head.prefix(64)) + "… (\(head.utf8.count) bytes)" : head
            return "hash must be 64 lowercase hex digits, got \"\(shown)\""
        }
        return nil
    }
}
