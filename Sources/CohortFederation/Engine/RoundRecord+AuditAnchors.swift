extension RoundRecord {
    /// Records the audit head `site` sent with its update, evaluation or refusal this round, as
    /// the orchestrator's anchor of the site's log (`AuditAnchor`): a head that could not anchor a
    /// log (`AuditHead.anchorProblem`) goes to `droppedAuditAnchors` with the reason instead,
    /// and of two valid heads of one site the later (more events) is kept, since it fixes
    /// every line the earlier one does. Nil (a site that sent none) changes nothing.
    public mutating func recordAuditHead(_ head: AuditHead?, from site: String) {
        guard let head else { return }
        if let problem = head.anchorProblem {
            droppedAuditAnchors = (droppedAuditAnchors ?? [:]).merging([site: "audit head dropped: \(problem)"]) { $1 }
            return
        }
        var anchors = auditAnchors ?? [:]
        if let kept = anchors[site], kept.events >= head.events { return }
        anchors[site] = head
        auditAnchors = anchors
    }

    /// The round's anchors, one per site in site order, as lines of a run folder's
    /// `site-audit-anchors.jsonl`.
    public func auditAnchorList(run: String?) -> [AuditAnchor] {
        (auditAnchors ?? [:]).sorted { $0.key < $1.key }.map { site, head in
            AuditAnchor(run: run, round: round, site: site, events: head.events, hash: head.head)
        }
    }

    /// Compares this round's anchors with the latest anchor of each site in `history` (the
    /// run's earlier rounds): a site's log only grows, and every task adds lines to it, so a
    /// head with fewer events than an earlier one, or as many with another hash, means lines
    /// were cut or rewritten since. Each such site gets a warning in `auditAnchorWarnings`;
    /// `cohort audit verify --anchors` on the site's log then names the round that fails.
    public mutating func checkAuditAnchors(against history: [RoundRecord]) {
        var latest = [String: (round: Int, head: AuditHead)]()
        for record in history {
            for (site, head) in record.auditAnchors ?? [:] where head.events >= latest[site]?.head.events ?? 0 {
                latest[site] = (record.round, head)
            }
        }
        var warnings = auditAnchorWarnings ?? [:]
        for (site, head) in auditAnchors ?? [:] {
            guard let earlier = latest[site] else { continue }
            if head.events < earlier.head.events {
                warnings[site] = "its audit log holds \(head.events) events, fewer than the \(earlier.head.events) it held at "
                    + "round \(earlier.round): lines were removed"
            } else if head.events == earlier.head.events, head.head != earlier.head.head {
                warnings[site] = "line \(head.events) of its audit log hashes to \(head.head.prefix(12))…, not the "
                    + "\(earlier.head.head.prefix(12))… it had at round \(earlier.round): the log was rewritten"
            }
        }
        auditAnchorWarnings = warnings.isEmpty ? nil : warnings
    }
}
