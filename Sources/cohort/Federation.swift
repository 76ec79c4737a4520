import ArgumentParser
import CohortFederation
import CohortLearn
import CohortRPC
import Foundation
import Synchronization

/// `cohort orchestrator --config orchestrator.yaml`: the long-running federation service.
struct OrchestratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchestrator",
        abstract: "Serve the federation: sites dial in and pull tasks, researchers submit and watch runs (gRPC, mutual TLS).",
        discussion: """
            Prints `listening on HOST:PORT` on standard output once it accepts connections (the
            port the system picked when the configuration says 0), then logs to standard error.
            Examples/federation/orchestrator.yaml explains every field.
            """)

    @Option(help: "The orchestrator's configuration (YAML).") var config: String

    func run() async throws {
        let configuration = try OrchestratorConfiguration.load(from: URL(fileURLWithPath: config))
        let log = FederationLog(party: "orchestrator")
        try await OrchestratorServer.serve(configuration, log: log.write) { host, port in
            FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
        }
    }
}

/// `cohort site --config site.yaml`: the worker a hospital runs.
struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "Run this hospital's site worker: dial out to the orchestrator, check each task against the site policy, train here.",
        discussion: """
            The rows never leave this process: it sends only clipped, noised deltas, pooled
            counts and evaluation histograms, and writes every decision to the audit log the
            policy names. Examples/federation/site-a.yaml explains every field.
            """)

    @Option(help: "The site's configuration (YAML), which names its policy.") var config: String
    @OptionGroup var compute: ComputeOptions

    func run() async throws {
        compute.apply()
        let configuration = try SiteConfiguration.load(from: URL(fileURLWithPath: config))
        let policy = try SitePolicy.load(from: configuration.policy.url)
        let credentials = try PartyCredentials(
            certificate: configuration.pki.certificate.url, privateKey: configuration.pki.key.url,
            federationCA: configuration.pki.ca.url)
        guard credentials.identity.role == .site else {
            throw ValidationError("\(configuration.pki.certificate.path) is a \(credentials.identity.role) certificate; a site needs a site certificate")
        }
        guard credentials.identity.name == policy.name else {
            throw ValidationError("the certificate names the site '\(credentials.identity.name)' but the policy is for '\(policy.name)'")
        }
        let worker = try SiteWorker(policy: policy, stateDirectory: configuration.state.url)
        try await worker.start()
        let log = FederationLog(party: policy.name)
        log.write("serving \(policy.dataset.path.path); audit log \(policy.auditLog.path)")
        var agent = SiteAgent(
            worker: worker, host: configuration.orchestrator.host, port: configuration.orchestrator.port,
            credentials: credentials, initialBackoff: configuration.reconnectInitialSeconds,
            maximumBackoff: configuration.reconnectMaximumSeconds, log: log.write)
        agent.idleRunSeconds = configuration.releaseIdleRunsAfterSeconds
        // Test federations only: stretch each round so a test can stop a site in mid-round.
        if let delay = ProcessInfo.processInfo.environment["COHORT_TEST_TRAINING_DELAY_MS"].flatMap(Double.init) {
            agent.trainingDelay = delay / 1000
        }
        await agent.run()
    }
}

/// The researcher's certificate: `--pki DIR` with NAME.cert.pem, NAME.key.pem and the
/// federation's ca.cert.pem.
struct ResearcherOptions: ParsableArguments {
    @Option(help: "The orchestrator, HOST:PORT.") var orchestrator: String
    @Option(help: "Folder with your NAME.key.pem and NAME.cert.pem (from `cohort certs request` and `sign`).") var pki: String
    @Option(help: "Your name in the certificate (default: the one NAME.cert.pem in --pki).") var name: String?
    @Option(help: "The federation CA's certificate (default: ca.cert.pem in --pki).") var ca: String?

    func client() throws -> ResearcherClient {
        guard let address = HostPort(orchestrator) else {
            throw ValidationError("--orchestrator must be HOST:PORT, got '\(orchestrator)'")
        }
        let directory = URL(fileURLWithPath: pki)
        var party = name
        if party == nil {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".cert.pem") && $0 != "ca.cert.pem" }.map { String($0.dropLast(".cert.pem".count)) }
            guard names.count == 1 else {
                throw ValidationError("--pki \(pki) holds \(names.count) certificates (\(names.sorted().joined(separator: ", "))); give --name")
            }
            party = names[0]
        }
        let caURL = ca.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("ca.cert.pem")
        let credentials = try PartyCredentials(directory: directory, name: party!, federationCA: caURL)
        return ResearcherClient(host: address.host, port: address.port, credentials: credentials)
    }
}

/// `cohort run PLAN`: submit a plan to a real federation and follow it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Submit a plan to the orchestrator, show its progress, and write the run folder `cohort simulate` writes.",
        discussion: """
            The plan names its sites (`sites: [{name: …}]`), its model and its schema; the model
            and schema files are read here and sent with the plan. Sites that refuse a task
            say why, and their reasons are shown as they arrive. The run folder also gets
            site-audit-anchors.jsonl: the audit heads the sites sent with their updates, \
            evaluations and refusals, to check their logs with \
            `cohort audit verify LOG --anchors FILE --site NAME`.
            """)

    @Argument(help: "The plan (YAML).") var plan: String
    @OptionGroup var researcher: ResearcherOptions
    @Option(help: "The run folder (default: runs/RUN-ID).") var out: String?
    @Flag(help: "Submit, print the run id, and return without watching.") var detach = false
    @Flag(help: "Print the run's summary as JSON as the last line of standard output.") var json = false
    @Option(help: "How long to keep reconnecting when the orchestrator goes away, in minutes.") var reconnectMinutes = 10.0

    func run() async throws {
        let planURL = URL(fileURLWithPath: plan)
        let text = try String(contentsOf: planURL, encoding: .utf8)
        let parsed = try Plan.parse(yaml: text, source: planURL.path, baseDirectory: planURL.deletingLastPathComponent())
        let definition = try parsed.loadModel(modelsDirectory: ModelsDirectory.url)
        guard let schemaPath = parsed.schema else {
            throw ValidationError("\(plan): a real federation's plan names its schema (field 'schema'); no rows leave the sites to infer one")
        }
        let schemaJSON = try String(contentsOf: schemaPath.url, encoding: .utf8)
        let client = try researcher.client()
        let submitted = try await client.connect { connection in
            try await connection.submit(planYAML: text, modelYAML: definition.yaml(), schemaJSON: schemaJSON)
        }
        print("submitted \(parsed.name) as \(submitted.runID) (plan hash \(submitted.planHash.prefix(12))…)")
        if detach { return }
        let folder = try RunFolder(url: URL(fileURLWithPath: out ?? "runs/\(submitted.runID)"), runID: submitted.runID)
        let progress = ProgressLine()
        let history = HistoryBox()
        let rounds = parsed.rounds
        // Watch until the run ends; when the orchestrator goes away (a restart), reconnect
        // with backoff and go on from the last round seen, for up to `reconnectMinutes`.
        var finished: Cohort_V1_RunFinished?
        var delay = 0.5
        let giveUp = Date().addingTimeInterval(reconnectMinutes * 60)
        while finished == nil {
            let fromRound = (history.records.last?.round ?? 0) + 1
            do {
                finished = try await client.connect { connection in
                    try await connection.watch(runID: submitted.runID, fromRound: fromRound) { event in
                        switch event.kind {
                        case .round(let wire)?:
                            let record = try wire.decoded()
                            guard record.round >= fromRound, record.round > (history.records.last?.round ?? 0) else { return }
                            try folder.append(record)
                            history.append(record)
                            progress.update(record.progressText(rounds: rounds))
                        case .refusal(let refusal)?:
                            // A refused preprocessing's head has no round record to come with.
                            if refusal.round == 0, let anchor = refusal.auditAnchor(run: submitted.runID) { try folder.append(anchor) }
                            guard refusal.round >= fromRound || fromRound == 1 else { return }
                            progress.note("\(refusal.siteID) refused round \(refusal.round): \(refusal.reasons.joined(separator: "; "))")
                        case .finished, nil:
                            break
                        }
                    }
                }
                if finished == nil { progress.note("the orchestrator closed the stream before the run ended") }
            } catch {
                progress.note("lost the orchestrator: \(error)")
            }
            if finished != nil { break }
            guard Date() < giveUp else {
                throw ValidationError("gave up after \(reconnectMinutes) minutes without the orchestrator; follow \(submitted.runID) with `cohort runs`")
            }
            progress.note(String(format: "reconnecting in %.1f s", delay))
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(delay * 2, 10)
        }
        progress.finish()
        guard let finished else { return }
        print("\(submitted.runID): \(finished.message)")
        guard finished.state == .completed else { throw ExitCode(1) }
        let modelData = try await client.connect { try await $0.fetchModel(runID: submitted.runID) }
        try modelData.write(to: folder.modelURL, options: .atomic)
        let model = try TrainedModel.read(from: folder.modelURL)
        var summary = try JSONDecoder().decode(RunSummary.self, from: Data(finished.summaryJson.utf8))
        summary.run_dir = folder.url.path
        try folder.finish(RoundEngine.Result(finalModel: model, history: history.records, stoppedEarly: summary.stoppedEarly),
                          summary: summary)
        if let statement = model.provenance.privacy { print(statement) }
        print("run folder: \(folder.url.path)")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}

/// `cohort runs`: the orchestrator's runs and their state.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List the orchestrator's runs, newest first, with their state and progress.")

    @OptionGroup var researcher: ResearcherOptions
    @Flag(help: "One JSON array instead of a table.") var json = false

    func run() async throws {
        let runs = try await researcher.client().connect { try await $0.list() }
        if json {
            let rows: [[String: String]] = runs.map {
                ["run_id": $0.runID, "plan": $0.planName, "plan_hash": $0.planHash, "state": Self.word($0.state),
                 "rounds_completed": "\($0.roundsCompleted)", "rounds_planned": "\($0.roundsPlanned)", "submitted_by": $0.submittedBy]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        guard !runs.isEmpty else {
            print("no runs")
            return
        }
        print("RUN        STATE      ROUNDS   PLAN                  SUBMITTED BY")
        for run in runs {
            let rounds = "\(run.roundsCompleted)/\(run.roundsPlanned)"
            print(run.runID.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                  + Self.word(run.state).padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                  + rounds.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
                  + run.planName.padding(toLength: 21, withPad: " ", startingAt: 0) + " " + run.submittedBy)
        }
    }

    static func word(_ state: Cohort_V1_RunState) -> String {
        switch state {
        case .queued: "queued"
        case .running: "running"
        case .completed: "completed"
        case .cancelled: "cancelled"
        case .failed: "failed"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}

/// `cohort cancel RUN-ID`: stop a queued or running run.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a queued run, or stop a running one in its current round; prints its state afterwards.")

    @Argument(help: "The run's id (from `cohort run` or `cohort runs`).") var runID: String
    @OptionGroup var researcher: ResearcherOptions
    @Option(help: "Why, recorded with the run.") var reason = ""

    func run() async throws {
        let runID = runID, reason = reason
        let state = try await researcher.client().connect { try await $0.cancel(runID: runID, reason: reason) }
        print("\(runID): \(RunsCommand.word(state))")
    }
}

/// Log lines on standard error: `TIME PARTY: TEXT`.
struct FederationLog: Sendable {
    let party: String

    func write(_ text: String) {
        let time = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardError.write(Data("\(time) \(party): \(text)\n".utf8))
    }
}

/// The round records a watch has seen, in order.
final class HistoryBox: Sendable {
    private let storage = Mutex<[RoundRecord]>([])
    func append(_ record: RoundRecord) { storage.withLock { $0.append(record) } }
    var records: [RoundRecord] { storage.withLock { $0 } }
}
