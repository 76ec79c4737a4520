extension RoundRecord {
    /// Records the audit head `site` sent with its update or evaluation this round, as the
    /// orchestrator's anchor of the site's log (`AuditAnchor`): a head that could not anchor a
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
}
