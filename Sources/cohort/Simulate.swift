import ArgumentParser
import CohortFederation
import CohortLearn
import CohortTensor
import Foundation

/// `cohort simulate`: a whole federation in one process, on bundled or given data.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a federated plan with every site simulated in this process, and write a run folder.",
        discussion: """
            Without a plan, runs Examples/default.yaml: the bundled breast-cancer data split
            IID over 5 simulated hospitals, logistic regression, record-level DP-SGD at ε ≤ 3.
            The run folder holds model.safetensors, metrics.jsonl (one line per round),
            report.html (loss, metric and ε per round; per-site metrics) and summary.json.
            """)

    @Argument(help: "The plan (YAML). Default: Examples/default.yaml.") var plan: String?
    @Option(help: "The run folder (default: runs/NAME-TIMESTAMP).") var out: String?
    @Flag(help: "Print a JSON summary as the last line of standard output.") var json = false

    func run() async throws {
        let planURL = plan.map { URL(fileURLWithPath: $0) } ?? ModelsDirectory.url.deletingLastPathComponent()
            .appendingPathComponent("Examples/default.yaml")
        let loaded = try Plan.load(from: planURL, modelsDirectory: ModelsDirectory.url)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let runID = "\(loaded.name)-\(stamp)"
        let simulation = try Simulation(plan: loaded, modelsDirectory: ModelsDirectory.url, runID: runID)
        let folder = try RunFolder(url: URL(fileURLWithPath: out ?? "runs/\(runID)"))
        // Sites train concurrently, one BLAS thread each.
        BLASRuntime.threads = 1

        let progress = ProgressLine()
        let config = simulation.configuration
        progress.note("\(loaded.name): \(simulation.sites.count) sites, \(config.rounds) rounds, \(simulation.strategy.name), "
                      + "model \(config.definition.name)"
                      + (config.privacy.unit == .none ? "" : String(format: ", %@-level DP (σ = %.4g, δ = %g, noise %@)",
                             config.privacy.unit.rawValue, simulation.noiseMultiplier, config.privacy.delta,
                             config.privacy.noiseSeed == nil ? "secure" : "seeded")))
        var engine = RoundEngine(configuration: config, strategy: simulation.strategy)
        let rounds = config.rounds
        let result = try await engine.run(sites: simulation.sites) { record in
            try? folder.append(record)
            progress.update(record.progressText(rounds: rounds))
        }
        progress.finish()
        let summary = RunSummary(result: result, configuration: config, runDirectory: folder.url.path)
        try folder.finish(result, summary: summary)
        if let stopped = result.stoppedEarly { print(stopped) }
        if let statement = result.model.provenance.privacy {
            print(statement)
            print("released outside ε: " + summary.releasedOutsideEpsilon.joined(separator: "; "))
        } else {
            print("no differential privacy: the global model and the pooled statistics are not protected by any ε")
        }
        print("run folder: \(folder.url.path)")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}
