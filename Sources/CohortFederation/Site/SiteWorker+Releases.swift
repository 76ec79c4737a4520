import CohortPrivacy
import Foundation

/// How a site lets go of a run (the orchestrator said it ended, or it idled), refuses what it
/// must not answer again, answers a replay with the release it kept (`KeptReleases`), and
/// charges a second release under its own id when the first is lost.
extension SiteWorker {
    /// The runs whose state this site holds in memory (rows, noise).
    public var residentRuns: [String] { runSites.keys.sorted() }

    /// The orchestrator says `runID` ended (`state`: completed, cancelled, failed): its state
    /// is released, and its tasks are refused from now on. Logged as `run_released`.
    public func endRun(_ runID: String, state: String) async throws {
        guard endedRuns[runID] == nil else { return }
        endedRuns[runID] = state
        let held = [release(runID), kept.remove(runID: runID)].contains(true)
        keptRounds[runID] = nil
        idleReleases[runID] = nil
        _ = try await audit.append(.runReleased, details: [
            "run": .string(runID), "reason": .string("the orchestrator says the run ended (\(state))"), "held_state": .bool(held),
        ])
    }

    /// Releases the state of every run without a task for `seconds` or more, and returns their
    /// ids. A replay of the round whose update is released with a run is refused; the run's
    /// later rounds start its state afresh. Each release is logged as `run_released`.
    @discardableResult
    public func releaseIdleRuns(idleFor seconds: Double) async throws -> [String] {
        let now = clock()
        var released = [String]()
        for (runID, last) in lastTask.sorted(by: { $0.key < $1.key }) where now - last >= seconds {
            let round = keptRounds[runID]
            release(runID)
            idleReleases[runID] = (round, now - last)
            released.append(runID)
            _ = try await audit.append(.runReleased, details: [
                "run": .string(runID),
                "reason": .string(String(format: "no task for %.0f s", now - last)),
                "kept_update_of_round": round.map { .integer($0) } ?? .null,
            ])
        }
        return released
    }

    /// Drops `runID`'s rows and noise; whether there were any.
    @discardableResult
    func release(_ runID: String) -> Bool {
        lastTask[runID] = nil
        return runSites.removeValue(forKey: runID) != nil
    }

    /// Refuses a task of an ended run, or the replay of `round` when its update was released
    /// with an idle run and is not kept (nil: checked only for the run's end).
    func refuseIfReleased(_ runID: String, round: Int?, taskID: String) async throws {
        var reason: String?
        if let state = endedRuns[runID] {
            reason = "run \(runID) has ended (the orchestrator said \(state)); this site released its state for it"
        } else if let round, let released = idleReleases[runID], released.round == round, round > 0 {
            reason = String(format: "round %d of run %@ was answered already, its update let go when the run had no task for %.0f s, "
                                + "and it is not kept; answering again would release the round a second time", round, runID, released.idleSeconds)
        }
        guard let reason else { return }
        try await refuse(runID, round: round, taskID: taskID, reason)
    }

    /// Logs the refusal of a task and throws it.
    func refuse(_ runID: String, round: Int?, taskID: String, _ reason: String) async throws -> Never {
        try await refuse(runID, round: round, taskID: taskID, reasons: [reason])
    }

    /// Logs the refusal of a task with every reason (`task_refused`) and throws it, carrying
    /// the audit head as of that line: the refusal is an event of the log, and the head goes
    /// to the orchestrator with it, as an update's does.
    func refuse(_ runID: String, round: Int?, taskID: String, reasons: [String]) async throws -> Never {
        let entry = try await audit.append(.taskRefused, details: [
            "task": .string(taskID), "run": .string(runID), "round": round.map { .integer($0) } ?? .null,
            "reasons": .list(reasons.map(AuditValue.string)),
        ])
        // The head after this very line, even if another task appended since.
        throw SiteError(.refused, site: name, reasons.joined(separator: "; "),
                        auditHead: AuditHead(events: entry.seq, head: entry.lineHash))
    }

    /// The id to charge a release of `key` under: `key` itself, or `key/repeat-N` when the
    /// ledger holds it already (the first release was lost with a restart, so this is a second
    /// one). A repeat is refused when, charged like the first, it would take the lifetime
    /// ledger past the policy's `lifetime_epsilon` or this run's own charges past its
    /// `maximum_epsilon_per_run`: the policy's projection at admission counts the planned
    /// run once, not its repeats.
    func repeatChargeID(_ key: String, context: RunContext, taskID: String, round: Int) async throws -> String {
        guard let first = ledger.charges.first(where: { $0.id == key }) else { return key }
        var repeatCount = 2
        while ledger.contains(chargeID: "\(key)/repeat-\(repeatCount)") { repeatCount += 1 }
        let chargeID = "\(key)/repeat-\(repeatCount)"
        let repeated = try PrivacyCharge(id: chargeID, label: first.label + " (repeat)", mechanism: first.mechanism, steps: first.steps)
        var run = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where charge.id.hasPrefix(context.runID + "/") { try run.charge(charge) }
        let delta = policy.privacy.delta
        let lifetime = ledger.epsilon(afterCharging: repeated, delta: delta).epsilon
        let perRun = run.epsilon(afterCharging: repeated, delta: delta).epsilon
        if lifetime > policy.privacy.lifetimeEpsilon || perRun > policy.privacy.maximumEpsilonPerRun {
            try await refuse(context.runID, round: round, taskID: taskID, String(
                format: "releasing %@ again would bring this run's ε to %.3f (policy maximum %g) and the lifetime ε to %.3f "
                    + "(policy %g), δ = %g", key, perRun, policy.privacy.maximumEpsilonPerRun, lifetime,
                policy.privacy.lifetimeEpsilon, delta))
        }
        return chargeID
    }

    /// Seconds on a monotonic clock (`CLOCK_MONOTONIC`), the default for idleness.
    public static let monotonicSeconds: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// Logs that a kept release is sent again (`release_resent`).
    func resent(taskID: String, runID: String, round: Int, what: String) async throws {
        _ = try await audit.append("release_resent", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "release": .string(what),
            "reason": .string("asked again; the \(what) already released is sent again, nothing new is released or charged"),
        ])
    }

    /// Logs why a release kept for this run does not answer the task (`kept_release_not_used`).
    func keptNotUsed<Value>(_ lookup: KeptReleases.Lookup<Value>, taskID: String, runID: String, round: Int) async throws {
        let reason: String
        switch lookup {
        case .none, .kept: return
        case .different(let why): reason = why
        case .unreadable(let why): reason = why
        }
        _ = try await audit.append("kept_release_not_used", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "reason": .string(reason),
        ])
    }

    /// Logs that a release could not be kept (`release_not_kept`): it still leaves, since it is
    /// charged, but asked again it would be released (and charged) a second time.
    func notKept(_ error: any Error, taskID: String, runID: String, round: Int) async throws {
        _ = try await audit.append("release_not_kept", details: [
            "task": .string(taskID), "run": .string(runID), "round": .integer(round), "error": .string("\(error)"),
        ])
    }
}
