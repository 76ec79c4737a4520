import CohortData
import CohortFederation
import CohortLearn
import CohortTensor
import Foundation

/// W6 of BENCHMARKS.md: the round engine's own cost. Every site does trivial local work
/// (returns a fixed delta at once), so a round's time is the engine's: fan-out,
/// validation of every update (size, finite values, norm), streaming aggregation and the
/// FedAvg step. Each configuration runs in a child process so its peak memory is its own.
enum RoundBenchmark {
    /// A site that answers immediately with the same small delta.
    struct TrivialSite: SiteConnection {
        let name: String
        let delta: [Float]
        let aggregates: FeatureAggregates

        func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates { aggregates }
        func train(_ task: TrainingTask) async throws -> SiteUpdate {
            SiteUpdate(delta: delta, records: 100, steps: 1, trainingLoss: 0.5)
        }
        func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation {
            SiteEvaluation(records: 20, lossSum: 10, correct: 15, histogram: nil, confusion: nil)
        }
    }

    /// Model definitions of about 10k and 1M parameters on 10 input features.
    static func definition(parameters: Int) throws -> ModelDefinition {
        let yaml = parameters <= 20_000
            ? "name: w6-10k\nlayers: [{dense: 900}, relu, {dense: output}]\n"      // 10·900 + 900 + 900 + 1 = 10,801
            : "name: w6-1m\nlayers: [{dense: 990}, relu, {dense: 990}, relu, {dense: output}]\n"  // 993,961
        return try ModelDefinition.parse(yaml: yaml, source: "W6")
    }

    /// Child mode: one configuration, printed as JSON {parameters, perRound, firstRound, peakMiB}.
    static func child(sites: Int, parameters: Int) async throws {
        var text = (0..<10).map { "x\($0)" }.joined(separator: ",") + ",y\n"
        for row in 0..<4 {
            let cells: [String] = (0..<10).map { String(row + $0) }
            text += cells.joined(separator: ",") + ",\(row % 2)\n"
        }
        let table = try CSVTable(parsing: text, fileName: "w6.csv")
        let schema = try Schema.infer(from: table, label: "y")
        let aggregates = FeatureAggregates(try schema.validate(table))
        let definition = try definition(parameters: parameters)
        var generator = SeededGenerator(seed: 0)
        let statistics = try PreprocessingStatistics(schema: schema, aggregates: aggregates)
        let network = Network(definition: definition, inputWidth: statistics.encodedFeatureCount, outputWidth: 1, using: &generator)
        let count = network.parameters.scalarCount
        let delta = Tensor<Float>.randomNormal([count], standardDeviation: 1e-3, using: &generator).scalars
        let connections: [any SiteConnection] = (0..<sites).map { TrivialSite(name: "site-\($0)", delta: delta, aggregates: aggregates) }
        let configuration = FederationConfiguration(
            runID: "w6", definition: definition, schema: schema, rounds: 6, evaluateEvery: 1_000, seed: 0)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: connections)
        let later = result.history.dropFirst().dropLast().map { $0.seconds }.sorted()  // rounds 2–5 (6 also evaluates)
        let object: [String: Double] = [
            "parameters": Double(count), "perRound": later[later.count / 2], "firstRound": result.history[0].seconds,
            "peakMiB": peakResidentMiB(),
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// VmHWM, the peak resident set of this process image (getrusage's ru_maxrss would
    /// carry the parent's peak across fork and exec).
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kilobytes / 1024
    }

    /// Runs every configuration in a child process and prints the table.
    static func run(figures: inout [String: Double]) {
        // Flower 1.42 + Ray on the same kind of machine (BENCHMARKS.md): s/round and peak MiB.
        let flower: [String: (Double, Double)] = ["10x10k": (0.104, 712), "10x1m": (0.443, 1052), "100x10k": (0.654, 739), "100x1m": (3.24, 1830)]
        print("")
        print("W6  simulated rounds, trivial local work: the engine's own time per round (median of rounds 2–5) and peak memory")
        print(pad("sites × parameters", 22) + pad("s/round", 10) + pad("first round", 13) + pad("peak MiB", 10) + "Flower 1.42 (s/round, MiB)")
        for sites in [10, 100, 1000] {
            for parameters in [10_000, 1_000_000] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                process.arguments = ["--w6-child", "\(sites)", "\(parameters)"]
                let pipe = Pipe()
                process.standardOutput = pipe
                guard (try? process.run()) != nil else { continue }
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Double],
                      let perRound = object["perRound"], let first = object["firstRound"], let peak = object["peakMiB"],
                      let count = object["parameters"] else {
                    print(pad("\(sites) × \(parameters)", 22) + "failed")
                    continue
                }
                let key = "\(sites)x\(parameters == 10_000 ? "10k" : "1m")"
                let peer = flower[key].map { String(format: "%.3f s, %.0f MiB → %.0f× faster", $0.0, $0.1, $0.0 / perRound) } ?? "not measured"
                print(pad("\(sites) × \(Int(count))", 22) + pad(String(format: "%.4f", perRound), 10)
                      + pad(String(format: "%.3f", first), 13) + pad(String(format: "%.0f", peak), 10) + peer)
                figures["w6.\(key).seconds_per_round"] = perRound
                figures["w6.\(key).peak_mib"] = peak
            }
        }
    }
}
