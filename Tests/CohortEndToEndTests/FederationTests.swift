import CohortLearn
import CohortTestSupport
import Foundation
import Testing

/// A real federation: `cohort orchestrator`, three `cohort site` workers and the researcher's
/// `cohort run`, as separate processes talking gRPC over mutual TLS on 127.0.0.1.
@Suite("federation (real processes, gRPC over mutual TLS)", .serialized)
struct FederationTests {
    /// The model's weights, flattened in file order.
    static func weights(_ url: URL) throws -> [Float] {
        try TrainedModel.read(from: url).network.parameters.flattened()
    }

    /// The `budget_spent` charge ids of a site's audit log, in order.
    static func charges(inAuditLog url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line in
            let entry = try TrainEvaluateTests.json(String(line))
            guard entry["event"] as? String == "budget_spent", let details = entry["details"] as? [String: Any] else { return nil }
            return details["charge"] as? String
        }
    }

    @Test("three sites and a researcher run a plan to completion; the model equals `cohort simulate` of the same plan")
    func runMatchesSimulation() async throws {
        let federation = try await TestFederation.make()
        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 4)

        let (run, largest) = try await Self.runAndSimulate(plan, in: federation)
        #expect(run.standardOutput.contains("4 rounds completed"))
        #expect(run.standardError.contains("round 4/4  sites 3/3"))
        #expect(largest <= 1e-5, "largest weight difference \(largest)")
        // The same run folder as simulate: one metrics line per round, a report, a summary.
        let metrics = try String(contentsOf: federation.url("runs/real/metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 4)
        #expect(FileManager.default.fileExists(atPath: federation.url("runs/real/report.html").path))
        let summary = try TrainEvaluateTests.json(String(try #require(run.standardOutput.split(separator: "\n").last)))
        #expect(summary["rounds"] as? Int == 4)
        // Every site scored the final model on its holdout (the pooled evaluation of round 4).
        let last = try #require(try Self.rounds(federation.url("runs/real/metrics.jsonl")).last)
        let perSite = last["perSite"] as? [String: Any] ?? [:]
        #expect(Set(perSite.keys) == Set(federation.siteNames), "\(last)")
        for site in federation.siteNames {
            let audit = try String(contentsOf: federation.url("state/\(site)/audit.jsonl"), encoding: .utf8)
            #expect(audit.contains(#""event":"evaluation_sent""#), "\(site) sent no evaluation")
        }

        // Every site charged each round exactly once, and its audit log verifies.
        for site in federation.siteNames {
            let log = federation.url("state/\(site)/audit.jsonl")
            let charges = try Self.charges(inAuditLog: log)
            #expect(Self.rounds(of: charges) == (1...4).map { "round-\($0)" }, "\(site): \(charges)")
            let verify = try await CohortProcess.run(["audit", "verify", log.path])
            #expect(verify.status == 0, "\(site): \(verify.standardOutput) \(verify.standardError)")
        }
        // The orchestrator tells the run's sites that it ended; each releases the run's state.
        for site in federation.siteNames {
            let log = federation.url("state/\(site)/audit.jsonl")
            var released = false
            for _ in 0..<50 where !released {
                released = try String(contentsOf: log, encoding: .utf8).contains(#""event":"run_released""#)
                if !released { try await Task.sleep(nanoseconds: 100_000_000) }
            }
            #expect(released, "\(site) did not release the run's state")
        }
        let runs = try await federation.researcher(["runs"])
        #expect(runs.status == 0 && runs.standardOutput.contains("completed") && runs.standardOutput.contains("4/4"),
                "\(runs.standardOutput) \(runs.standardError)")
    }

    @Test("site-unit DP with adaptive clipping over gRPC: the model and every round's clip bound equal `cohort simulate`'s")
    func adaptiveClippingMatchesSimulation() async throws {
        let federation = try await TestFederation.make()
        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 4, replacing: [
            "unit: record": "unit: site", "noise_multiplier: 2.0": "noise_multiplier: 3.0",
            "  delta_clip: 10\n": "  adaptive_clipping: {target_quantile: 0.5, learning_rate: 0.3}\n",
        ])
        let largest = try await Self.runAndSimulate(plan, in: federation).largestDifference
        #expect(largest <= 1e-5, "largest weight difference \(largest)")
        let realBounds = try Self.rounds(federation.url("runs/real/metrics.jsonl")).map { $0["clip_norm"] as? Double }
        let localBounds = try Self.rounds(federation.url("runs/simulated/metrics.jsonl")).map { $0["clip_norm"] as? Double }
        #expect(realBounds.count == 4 && realBounds.allSatisfy { $0 != nil } && realBounds.first == 1.0, "\(realBounds)")
        for (a, b) in zip(realBounds, localBounds) {
            #expect(abs((a ?? 0) - (b ?? .infinity)) <= 1e-9 * max(1, abs(a ?? 0)), "real \(realBounds), simulated \(localBounds)")
        }
        // Each site charged its own ledger one Gaussian step per round at the pair's z = 3.
        for site in federation.siteNames {
            let charges = try Self.charges(inAuditLog: federation.url("state/\(site)/audit.jsonl"))
            #expect(Self.rounds(of: charges) == (1...4).map { "round-\($0)" }, "\(site): \(charges)")
        }
    }

    @Test("record unit with target_epsilon over gRPC: σ is calibrated from the sites' rows, and no site spends more than the target")
    func targetEpsilonCalibratedFromTheSites() async throws {
        let federation = try await TestFederation.make()
        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 3, replacing: ["noise_multiplier: 2.0": "target_epsilon: 4"])
        let run = try await federation.researcher(["run", plan.path, "--out", "runs/real", "--json"])
        try #require(run.status == 0, "stdout: \(run.standardOutput)\nstderr: \(run.standardError)")
        let summary = try TrainEvaluateTests.json(String(try #require(run.standardOutput.split(separator: "\n").last)))
        let epsilon = try #require(summary["epsilon"] as? Double)
        // The neediest site spends the target (to the accountant's calibration tolerance); none more.
        #expect(epsilon <= 4 + 1e-6 && epsilon > 3.9, "ε \(epsilon)")
        let rounds = try Self.rounds(federation.url("runs/real/metrics.jsonl"))
        let perSite = try #require(rounds.last?["epsilon"] as? [String: Double])
        #expect(Set(perSite.keys) == Set(federation.siteNames) && perSite.values.allSatisfy { $0 <= 4 + 1e-6 }, "\(perSite)")
    }

    /// Runs `plan` through the federation (`cohort run`, into runs/real) and with `cohort
    /// simulate` (into runs/simulated); returns the run's output and the largest difference
    /// between the two models' weights.
    static func runAndSimulate(_ plan: URL, in federation: TestFederation) async throws
        -> (run: CohortProcess.Output, largestDifference: Float) {
        let run = try await federation.researcher(["run", plan.path, "--out", "runs/real", "--json"])
        try #require(run.status == 0, "stdout: \(run.standardOutput)\nstderr: \(run.standardError)")
        let simulated = try await CohortProcess.run(["simulate", plan.path, "--out", "runs/simulated"], in: federation.root,
                                                    setting: federation.environment)
        try #require(simulated.status == 0, "stderr: \(simulated.standardError)")
        let real = try weights(federation.url("runs/real/model.safetensors"))
        let local = try weights(federation.url("runs/simulated/model.safetensors"))
        try #require(real.count == local.count && !real.isEmpty)
        return (run, zip(real, local).map { abs($0 - $1) }.max() ?? .infinity)
    }

    /// The rounds of one run's charge ids (`run-0001-TOKEN/round-3` → `round-3`); empty when
    /// the charges name more than one run.
    static func rounds(of charges: [String]) -> [String] {
        let runs = Set(charges.map { $0.split(separator: "/").first.map(String.init) ?? "" })
        guard runs.count == 1, runs.first?.hasPrefix("run-0001-") == true else { return [] }
        return charges.map { $0.split(separator: "/").dropFirst().joined(separator: "/") }
    }

    /// The round records of a run folder's metrics.jsonl.
    static func rounds(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try TrainEvaluateTests.json(String($0)) }
    }

    @Test("a site killed in mid-round: the round completes with the others, and the site rejoins after a restart")
    func siteKilledMidRound() async throws {
        let federation = try await TestFederation.make()
        federation.environment["COHORT_TEST_TRAINING_DELAY_MS"] = "500"
        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 10)
        let run = try BackgroundProcess(
            "run", ["run", plan.path, "--out", "runs/killed", "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/dr-lee"],
            in: federation.root, logDirectory: federation.url("logs"), setting: federation.environment)
        let orchestrator = try #require(federation.orchestrator)
        try await orchestrator.waitForLine(containing: ": round 2 sites")
        // Round 3's training tasks are out; hospital-c is in its 0.5 s pause when it dies.
        federation.sites["hospital-c"]?.kill()
        try await orchestrator.waitForLine(containing: ": round 3 sites")
        try federation.startSite("hospital-c")
        try await run.waitForLine(containing: "rounds completed", timeout: 120)

        let records = try Self.rounds(federation.url("runs/killed/metrics.jsonl"))
        #expect(records.count == 10)
        let answered = records.map { ($0["answered"] as? [String]) ?? [] }
        let dropped = try #require(answered.firstIndex { !$0.contains("hospital-c") }, "hospital-c was never dropped: \(answered)")
        #expect(answered[dropped].count == 2, "the round went on with the other two: \(answered[dropped])")
        let droppedReasons = (records[dropped]["dropped"] as? [String: String]) ?? [:]
        #expect(droppedReasons["hospital-c"] != nil, "\(droppedReasons)")
        #expect(answered[(dropped + 1)...].contains { $0.contains("hospital-c") }, "hospital-c never rejoined: \(answered)")
        // Each round hospital-c trained is charged once in its ledger, across the restart.
        let charges = try Self.charges(inAuditLog: federation.url("state/hospital-c/audit.jsonl"))
        #expect(Set(charges).count == charges.count, "\(charges)")
    }

    @Test("a certificate from another CA is refused and named; a site certificate cannot submit a run")
    func foreignAndWrongRole() async throws {
        let federation = try await TestFederation.make(sites: ["hospital-a"])
        try await federation.startOrchestrator()
        let plan = try federation.writePlan(rounds: 1, replacing: ["minimum: 2": "minimum: 1"])

        let foreign = try await federation.researcher(["runs"], pki: "pki/foreign-dr-who")
        #expect(foreign.status != 0)
        let orchestrator = try #require(federation.orchestrator)
        let refusal = try await orchestrator.waitForLine(containing: "refused a connection", timeout: 10)
        #expect(refusal.contains("dr-who") || refusal.contains("elsewhere"), "\(refusal)")

        // A site from the foreign CA never registers, and the refusal names it.
        try federation.startSite("hospital-a", pkiFolder: "foreign-hospital-a")
        try await Task.sleep(nanoseconds: 1_500_000_000)
        #expect(!orchestrator.standardError.contains("site hospital-a registered"))
        #expect(orchestrator.standardError.split(separator: "\n").contains { $0.contains("refused a connection") && $0.contains("hospital-a") },
                "\(orchestrator.standardError)")

        let asSite = try await CohortProcess.run(
            ["run", plan.path, "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/hospital-a", "--ca", "pki/ca/ca.cert.pem"],
            in: federation.root, setting: federation.environment)
        #expect(asSite.status != 0)
        #expect(asSite.standardError.contains("permission") || asSite.standardError.contains("researcher"), "\(asSite.standardError)")
    }

    @Test("a plan outside a site's policy is refused, the site's reason reaches the researcher, and its log verifies against the refusals' anchors")
    func policyRefusal() async throws {
        let federation = try await TestFederation.make()
        try federation.writePolicy(site: "hospital-c", replacing: ["minimum_noise_multiplier: 0.8": "minimum_noise_multiplier: 3"])
        try await federation.startOrchestrator()
        try await federation.startSites()
        let plan = try federation.writePlan(rounds: 2)
        let run = try await federation.researcher(["run", plan.path, "--out", "runs/refused"])
        let output = run.standardOutput + run.standardError
        #expect(output.contains("hospital-c refused"), "\(output)")
        #expect(output.contains("noise multiplier 2 is below this site's minimum 3"), "\(output)")
        let audit = try String(contentsOf: federation.url("state/hospital-c/audit.jsonl"), encoding: .utf8)
        #expect(audit.contains("task_refused") && audit.contains("below this site's minimum 3"))
        // It scores none of the run's models either: an evaluation task gets the same check.
        #expect(!audit.contains(#""event":"evaluation_sent""#))
        // The run goes on without hospital-c (the plan's minimum is 2), which is dropped each round with its reason.
        #expect(run.status == 0 && run.standardOutput.contains("2 rounds completed"), "\(output)")
        for record in try Self.rounds(federation.url("runs/refused/metrics.jsonl")) {
            #expect(record["answered"] as? [String] == ["hospital-a", "hospital-b"])
            let reason = (record["dropped"] as? [String: String])?["hospital-c"] ?? ""
            #expect(reason.contains("below this site's minimum 3"), "\(record)")
        }

        // Each refusal carried hospital-c's audit head: the refused preprocessing's is listed
        // with round 0 (no round record holds it), the rounds' in their records, and the
        // site's log verifies against them all.
        let log = federation.url("state/hospital-c/audit.jsonl")
        for _ in 0..<50 where !(try String(contentsOf: log, encoding: .utf8)).contains(#""event":"run_released""#) {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let anchors = federation.url("runs/refused/site-audit-anchors.jsonl")
        let own = try String(contentsOf: anchors, encoding: .utf8).split(separator: "\n").map { try TrainEvaluateTests.json(String($0)) }
            .filter { $0["site"] as? String == "hospital-c" }
        #expect(own.compactMap { $0["round"] as? Int } == [0, 1, 2], "\(own)")
        let refusedAt = try #require(own.first?["events"] as? Int)
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        try #require(refusedAt >= 1 && refusedAt <= lines.count)
        #expect(lines[refusedAt - 1].contains(#""event":"task_refused""#), "\(lines[refusedAt - 1])")
        let verified = try await CohortProcess.run(["audit", "verify", log.path, "--anchors", anchors.path, "--site", "hospital-c"])
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        #expect(verified.standardOutput.contains("anchors: the log holds all 3 the orchestrator recorded for hospital-c"),
                "\(verified.standardOutput)")
    }

    @Test("a site's audit log verifies with `cohort audit verify`, and an edited line is detected")
    func auditLogTampering() async throws {
        let federation = try await TestFederation.make(sites: ["hospital-a", "hospital-b"])
        try await federation.startOrchestrator()
        try await federation.startSites()
        let run = try await federation.researcher(["run", try federation.writePlan(rounds: 2).path, "--out", "runs/audited"])
        try #require(run.status == 0, "\(run.standardError)")
        let log = federation.url("state/hospital-a/audit.jsonl")
        // The site's last line is its release of the run, once the orchestrator says it ended.
        var waited = 0
        while waited < 50, !(try String(contentsOf: log, encoding: .utf8)).contains(#""event":"run_released""#) {
            try await Task.sleep(nanoseconds: 100_000_000)
            waited += 1
        }
        let intact = try await CohortProcess.run(["audit", "verify", log.path])
        #expect(intact.status == 0 && intact.standardOutput.contains("chain intact"), "\(intact.standardOutput)")
        #expect(intact.standardOutput.contains("audit.jsonl.head: "), "\(intact.standardOutput)")
        let whole = try String(contentsOf: log, encoding: .utf8)
        try await Self.checkAnchors(of: "hospital-a", rounds: 2, folder: "runs/audited", in: federation)

        // The last two lines cut: the chain that is left is intact, the head file shows the cut.
        let kept = whole.split(separator: "\n").dropLast(2).joined(separator: "\n") + "\n"
        try kept.write(to: log, atomically: true, encoding: .utf8)
        let truncated = try await CohortProcess.run(["audit", "verify", log.path])
        #expect(truncated.status == 1)
        #expect(truncated.standardError.contains("but audit.jsonl.head records") && truncated.standardError.contains("2 lines are missing at the end"),
                "\(truncated.standardError)")
        try whole.write(to: log, atomically: true, encoding: .utf8)

        var text = whole
        let original = "\"event\":\"budget_spent\""
        try #require(text.contains(original))
        // Make a charge look smaller: the steps of the first budget_spent entry.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains(original) })
        var edited = lines
        edited[index] = lines[index].replacingOccurrences(of: "\"steps\":", with: "\"steps\":0")
        try #require(edited[index] != lines[index])
        text = edited.joined(separator: "\n")
        try text.write(to: log, atomically: true, encoding: .utf8)
        let tampered = try await CohortProcess.run(["audit", "verify", log.path])
        #expect(tampered.status != 0)
        #expect((tampered.standardOutput + tampered.standardError).contains("line \(index + 1)"),
                "\(tampered.standardOutput) \(tampered.standardError)")
    }

    /// Checks `site`'s audit log against the anchors of the run folder `folder` with `cohort
    /// audit verify --anchors`: one per round, and the log holds each; then a doctored copy of
    /// the log, cut below its latest anchor and given a head file to match, which passes the
    /// head file but not the anchors.
    static func checkAnchors(of site: String, rounds: Int, folder: String, in federation: TestFederation) async throws {
        let log = federation.url("state/\(site)/audit.jsonl")
        let anchors = federation.url("\(folder)/site-audit-anchors.jsonl")
        let lines = try String(contentsOf: anchors, encoding: .utf8).split(separator: "\n").map { try TrainEvaluateTests.json(String($0)) }
        let own = lines.filter { $0["site"] as? String == site }
        #expect(own.compactMap { $0["round"] as? Int } == Array(1...rounds), "\(own)")
        #expect(Set(lines.compactMap { $0["site"] as? String }) == Set(federation.siteNames))
        let verified = try await CohortProcess.run(["audit", "verify", log.path, "--anchors", anchors.path, "--site", site])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("anchors: the log holds all \(rounds) the orchestrator recorded for \(site)"),
                "\(verified.standardOutput)")

        let latest = try #require(own.compactMap { $0["events"] as? Int }.max())
        let doctored = federation.url("state/\(site)/doctored.jsonl")
        let kept = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").prefix(latest - 1)
        try (kept.joined(separator: "\n") + "\n").write(to: doctored, atomically: true, encoding: .utf8)
        let unheaded = try await CohortProcess.run(["audit", "verify", doctored.path])
        let head = try #require(unheaded.standardOutput.split(separator: "\n").first { $0.hasPrefix("head ") }?.dropFirst(5))
        try #"{"events":\#(latest - 1),"head":"\#(head)"}"#.write(to: federation.url("state/\(site)/doctored.jsonl.head"),
                                                                    atomically: true, encoding: .utf8)
        let headed = try await CohortProcess.run(["audit", "verify", doctored.path])
        #expect(headed.status == 0 && headed.standardOutput.contains("doctored.jsonl.head: \(latest - 1) events recorded, none missing"),
                "\(headed.standardOutput) \(headed.standardError)")
        let caught = try await CohortProcess.run(["audit", "verify", doctored.path, "--anchors", anchors.path, "--site", site])
        #expect(caught.status == 1)
        #expect(caught.standardError.contains("truncated: the orchestrator recorded \(latest) events at round \(rounds) of run-0001-")
                && caught.standardError.contains("the log has \(latest - 1)"), "\(caught.standardError)")
    }

    @Test("the orchestrator killed in mid-run resumes at its last completed round; a site restarted meanwhile resends its kept update; every site is charged each round once")
    func orchestratorKilledMidRun() async throws {
        let federation = try await TestFederation.make()
        // hospital-a trains in 0.4 s, the others in 1.5 s: the orchestrator is killed once
        // hospital-a has trained and charged round 4, while the others still train it.
        federation.environment["COHORT_TEST_TRAINING_DELAY_MS"] = "400"
        try await federation.startOrchestrator()
        for site in federation.siteNames {
            try federation.startSite(site, setting: site == "hospital-a" ? [:] : ["COHORT_TEST_TRAINING_DELAY_MS": "1500"])
        }
        for site in federation.siteNames { try await federation.sites[site]?.waitForLine(containing: "registered with the orchestrator") }
        let plan = try federation.writePlan(rounds: 8)
        let run = try BackgroundProcess(
            "run", ["run", plan.path, "--out", "runs/resumed", "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/dr-lee"],
            in: federation.root, logDirectory: federation.url("logs"), setting: federation.environment)
        try await #require(federation.orchestrator).waitForLine(containing: ": round 3 sites")
        let audit = federation.url("state/hospital-a/audit.jsonl")
        for _ in 0..<600 where !(try Self.charges(inAuditLog: audit)).contains(where: { $0.hasSuffix("/round-4") }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(try Self.charges(inAuditLog: audit).contains { $0.hasSuffix("/round-4") }, "hospital-a never trained round 4")
        federation.orchestrator?.kill()  // SIGKILL in round 4: nothing is flushed or closed
        let before = try #require(federation.orchestrator).standardError
        // hospital-a restarts too (its round-4 update could not reach the dead orchestrator,
        // or went unused): the replayed round gets the update it kept on disk, with no second
        // release and no second charge.
        federation.sites["hospital-a"]?.kill()
        try federation.startSite("hospital-a")
        try await federation.startOrchestrator()
        let restarted = try #require(federation.orchestrator)
        try await restarted.waitForLine(containing: ": resuming after round 3")
        try await run.waitForLine(containing: "rounds completed", timeout: 120)
        #expect(!before.contains("round 4 sites"), "round 4 finished before the kill; the test did not stop it in mid-run")

        let records = try Self.rounds(federation.url("runs/resumed/metrics.jsonl"))
        #expect(records.compactMap { $0["round"] as? Int } == Array(1...8))
        for site in federation.siteNames {
            let charges = try Self.charges(inAuditLog: federation.url("state/\(site)/audit.jsonl"))
            #expect(Self.rounds(of: charges) == (1...8).map { "round-\($0)" }, "\(site): \(charges)")
            // The sites' audit heads, kept by the orchestrator for every round, before and after its restart.
            let verified = try await CohortProcess.run(
                ["audit", "verify", federation.url("state/\(site)/audit.jsonl").path,
                 "--anchors", federation.url("runs/resumed/site-audit-anchors.jsonl").path, "--site", site])
            #expect(verified.status == 0 && verified.standardOutput.contains("the log holds all 8 the orchestrator recorded"),
                    "\(site): \(verified.standardOutput) \(verified.standardError)")
        }
        let resent = try String(contentsOf: audit, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"release_resent\"") && $0.contains("\"round\":4") }
        #expect(resent.count == 1, "hospital-a did not resend its kept round-4 update")
        // The replayed round got the same updates, so the run equals an uninterrupted simulation.
        let simulated = try await CohortProcess.run(["simulate", plan.path, "--out", "runs/simulated"], in: federation.root,
                                                    setting: federation.environment)
        try #require(simulated.status == 0, "\(simulated.standardError)")
        let real = try Self.weights(federation.url("runs/resumed/model.safetensors"))
        let local = try Self.weights(federation.url("runs/simulated/model.safetensors"))
        #expect(real.count == local.count && zip(real, local).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test("a researcher cancels a running run: it stops in its round, is recorded as cancelled, and `cohort run` says so")
    func cancelRun() async throws {
        let federation = try await TestFederation.make(sites: ["hospital-a", "hospital-b"])
        federation.environment["COHORT_TEST_TRAINING_DELAY_MS"] = "300"
        try await federation.startOrchestrator()
        try await federation.startSites()
        // A real federation's plan names its sites without their data, which stays at each site.
        let plan = try federation.writePlan(rounds: 30, replacing: [", data: data/hospital-a.csv": "", ", data: data/hospital-b.csv": ""])
        #expect(!(try String(contentsOf: plan, encoding: .utf8)).contains(", data:"))
        let run = try BackgroundProcess(
            "run", ["run", plan.path, "--out", "runs/cancelled", "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/dr-lee"],
            in: federation.root, logDirectory: federation.url("logs"), setting: federation.environment)
        let submitted = try await run.waitForLine(containing: "submitted plan as ")
        let runID = try #require(submitted.split(separator: " ").dropFirst(3).first.map(String.init))
        try await #require(federation.orchestrator).waitForLine(containing: ": round 2 sites")
        let cancel = try await federation.researcher(["cancel", runID, "--reason", "wrong cohort"])
        #expect(cancel.status == 0, "\(cancel.standardError)")
        try await run.waitForLine(containing: "cancelled: wrong cohort", timeout: 60)
        let runs = try await federation.researcher(["runs"])
        #expect(runs.standardOutput.contains("cancelled"), "\(runs.standardOutput)")
        let rounds = try Self.rounds(federation.url("runs/cancelled/metrics.jsonl")).count
        #expect(rounds >= 2 && rounds < 30, "\(rounds) rounds recorded")
        // The run's process ends with a failure status: the run did not complete.
        for _ in 0..<100 where run.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(!run.isRunning)
    }
}
