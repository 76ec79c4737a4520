import CohortData
import CohortFederation
import Foundation
import GRPCCore

/// The orchestrator's view of the connected sites: one open task stream per site, and the
/// tasks sent and not yet answered.
///
/// A site is known by the name in its certificate. A second connection under the same name
/// replaces the first (a restarted site); a closed stream fails every task sent over it, so
/// the round engine drops that site from the round at once instead of waiting for a deadline.
/// An answer is accepted only from the site its task was sent to.
///
/// A run's texts (plan, model, schema, preprocessing; `RunTexts`) go to a site once per
/// session: a task sent over a session that carried them already leaves them empty, and a
/// site that connects again gets them again with its next task.
public actor SiteRegistry {
    /// What a site answered.
    public enum Answer: Sendable {
        case aggregates(FeatureAggregates)
        case update(SiteUpdate)
        /// nil: the site withheld its result (fewer held-out records than its k).
        case evaluation(SiteEvaluation?)
    }

    /// What the orchestrator expects of an update, checked on arrival.
    public struct UpdateExpectation: Sendable {
        public var runID: String
        public var round: Int
        public var manifest: Cohort_V1_ModelManifest
        public var parameterCount: Int
        public var privacy: TaskPrivacy
    }

    private struct Session {
        var id: Int
        var continuation: AsyncStream<Cohort_V1_Task>.Continuation
        var connected: Date
        /// The run texts this session has carried (the orchestrator runs one run at a time).
        var texts = RunTextsByRun(capacity: 1)
    }

    private struct Pending {
        var site: String
        var session: Int
        var runID: String
        var round: Int
        var update: UpdateExpectation?
        var continuation: CheckedContinuation<Answer, any Error>
    }

    private var sessions: [String: Session] = [:]
    private var pending: [String: Pending] = [:]
    private var nextSession = 0
    private var nextAnnouncement = 0
    private var lastSeen: [String: Date] = [:]
    /// Called with every refusal (its run, and the refusal), so watchers see it at once.
    private var onRefusal: @Sendable (String, RunRefusal) -> Void = { _, _ in }

    public init() {}

    /// Sets what happens with each refusal (its run, and the site, round, reasons and audit
    /// head, a malformed head dropped with the reason: `RunRefusal`).
    public func setRefusalHandler(_ handler: @escaping @Sendable (String, RunRefusal) -> Void) {
        onRefusal = handler
    }

    /// The names of the sites with an open task stream.
    public var connectedSites: Set<String> { Set(sessions.keys) }

    /// Opens `site`'s task stream, replacing an earlier one.
    public func open(site: String) -> (session: Int, tasks: AsyncStream<Cohort_V1_Task>) {
        let (stream, continuation) = AsyncStream<Cohort_V1_Task>.makeStream(bufferingPolicy: .unbounded)
        nextSession += 1
        if let old = sessions[site] { close(site: site, session: old.id, reason: "the site connected again") }
        sessions[site] = Session(id: nextSession, continuation: continuation, connected: Date())
        lastSeen[site] = Date()
        return (nextSession, stream)
    }

    /// Closes `site`'s stream `session` (if it is still the current one) and fails its tasks.
    public func close(site: String, session: Int, reason: String = "the site disconnected") {
        if let current = sessions[site], current.id == session {
            current.continuation.finish()
            sessions[site] = nil
        }
        for (taskID, entry) in pending where entry.site == site && entry.session == session {
            pending[taskID] = nil
            entry.continuation.resume(throwing: SiteError(.failed, site: site, reason))
        }
    }

    /// Notes a heartbeat.
    public func heard(from site: String) { lastSeen[site] = Date() }

    /// Sends `messages` (a task and its model chunks) to `site` and waits for its answer; the
    /// task's run texts are left out when the site's session carried them already.
    /// Throws `SiteError` when the site is not connected, disconnects, refuses, or its answer
    /// fails validation; `CancellationError`-like failure when the caller is cancelled.
    public func request(
        site: String, taskID: String, runID: String, round: Int, messages: [Cohort_V1_Task],
        update: UpdateExpectation? = nil
    ) async throws -> Answer {
        guard sessions[site] != nil else {
            throw SiteError(.failed, site: site, "not connected")
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Still the same session: nothing suspends between the guard and here.
                guard var session = sessions[site] else {
                    continuation.resume(throwing: SiteError(.failed, site: site, "not connected"))
                    return
                }
                pending[taskID] = Pending(site: site, session: session.id, runID: runID, round: round, update: update,
                                          continuation: continuation)
                for (index, message) in messages.enumerated() {
                    if index == 0 {
                        var task = message
                        session.texts.omitKnown(from: &task)
                        session.continuation.yield(task)
                    } else {
                        session.continuation.yield(message)
                    }
                }
                sessions[site] = session
            }
        } onCancel: {
            Task { await self.fail(taskID: taskID, SiteError(.failed, site: site, "the round stopped waiting (deadline or cancellation)")) }
        }
    }

    private func fail(taskID: String, _ error: any Error) {
        guard let entry = pending.removeValue(forKey: taskID) else { return }
        entry.continuation.resume(throwing: error)
    }

    /// The expectation for an update to `taskID` from `site`, or why none may be sent.
    public func expectation(forUpdate taskID: String, from site: String) throws(RPCError) -> UpdateExpectation {
        let entry = try entry(taskID, from: site)
        guard let update = entry.update else {
            throw RPCError(code: .failedPrecondition, message: "task \(taskID) is not a training task")
        }
        return update
    }

    /// Delivers `site`'s answer to `taskID`.
    public func answer(_ taskID: String, from site: String, _ answer: Answer) throws(RPCError) {
        _ = try entry(taskID, from: site)
        let entry = pending.removeValue(forKey: taskID)!
        entry.continuation.resume(returning: answer)
    }

    /// Fails `taskID` with `reason` (an update that failed validation).
    public func reject(_ taskID: String, from site: String, reason: String) throws(RPCError) {
        _ = try entry(taskID, from: site)
        let entry = pending.removeValue(forKey: taskID)!
        entry.continuation.resume(throwing: SiteError(.failed, site: site, reason))
    }

    /// `site` refused `taskID`; the reasons, and the audit head the site sent with them, go
    /// to the round engine (which records the head in the round's record) and the run's
    /// watchers.
    public func refuse(_ taskID: String, from site: String, reasons: [String], auditHead: AuditHead? = nil) throws(RPCError) {
        let found = try entry(taskID, from: site)
        pending[taskID] = nil
        onRefusal(found.runID, RunRefusal(site: site, round: found.round, reasons: reasons, sentHead: auditHead))
        found.continuation.resume(throwing: SiteError(.refused, site: site, reasons.joined(separator: "; "), auditHead: auditHead))
    }

    private func entry(_ taskID: String, from site: String) throws(RPCError) -> Pending {
        guard let entry = pending[taskID] else {
            throw RPCError(code: .failedPrecondition,
                           message: "no open task \(taskID): it was answered already, timed out, or never sent")
        }
        guard entry.site == site else {
            // No site may speak for another: the task was sent to entry.site.
            throw RPCError(code: .permissionDenied, message: "task \(taskID) was not sent to \(site); a site answers only its own tasks")
        }
        return entry
    }

    /// Tells each of `sites` that is connected that `runID` ended (`RunEnded` on its task
    /// stream), so it can release what it holds for the run. A site not connected now is not
    /// told; it releases the run after a while without tasks.
    public func announceEnd(of runID: String, state: String, message: String, to sites: [String]) {
        for site in sites {
            guard let session = sessions[site] else { continue }
            nextAnnouncement += 1
            session.continuation.yield(.with {
                $0.taskID = "e\(nextAnnouncement)"
                $0.runID = runID
                $0.runEnded = .with {
                    $0.state = state
                    $0.message = message
                }
            })
        }
    }

    /// Waits until every site of `names` is connected, or `seconds` pass; returns those connected.
    public func waitForSites(_ names: [String], seconds: Double) async -> Set<String> {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if Set(names).isSubset(of: sessions.keys) { break }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return Set(names).intersection(sessions.keys)
    }
}
