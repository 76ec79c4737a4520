import CohortTensor
import Foundation

/// Runs the workloads and prints their tables; keeps the figures for `--json`.
final class BenchmarkReport {
    let benchmark: GEMMBenchmark
    let cores: Int
    let quick: Bool
    private(set) var figures: [String: Double] = [:]

    init(benchmark: GEMMBenchmark, cores: Int, quick: Bool) {
        self.benchmark = benchmark
        self.cores = cores
        self.quick = quick
    }

    func runW1() {
        print("W1  sgemm, Float32 row-major, C = A·B; median of \(benchmark.repetitions) alternating samples")
        let prescott = prescottSquares()
        print("")
        print(pad("shape", 18) + pad("threads", 8) + pad("Cohort GF/s", 13) + pad("raw GF/s", 11)
              + pad("Cohort/raw", 11) + "vs Prescott")
        for shape in GEMMBenchmark.squares {
            let result = benchmark.measure(shape, threads: cores)
            var line = row(result)
            if let slow = prescott[shape.m] {
                line += String(format: "%.2f× (%.1f GF/s)", result.cohortGFLOPS / slow, slow)
                figures["w1.square\(shape.m).vs_prescott"] = result.cohortGFLOPS / slow
            }
            print(line)
            record(result)
        }
        print("")
        print("training shapes (M×K·K×N), best thread count per shape marked *")
        let shapes = quick ? GEMMBenchmark.trainingShapes.filter { $0.k == $0.n || $0.k == 784 } : GEMMBenchmark.trainingShapes
        var worstRatio = Double.infinity
        var oneThreadWins = 0
        for shape in shapes {
            let results = Set([1, cores]).sorted().map { benchmark.measure(shape, threads: $0) }
            let best = results.max { $0.cohortGFLOPS < $1.cohortGFLOPS }
            if best?.threads == 1 && cores > 1 { oneThreadWins += 1 }
            for result in results {
                print(row(result) + (result.threads == best?.threads ? "*" : ""))
                record(result)
                worstRatio = min(worstRatio, result.ratio)
            }
        }
        print(String(format: "\nworst Cohort/raw over training shapes: %.3f; one thread fastest on %d of %d shapes",
                     worstRatio, oneThreadWins, shapes.count))
        BLASRuntime.threads = cores
    }

    /// W2–W5: samples/s of the real trainer, next to the peer figures of BENCHMARKS.md.
    func runTraining(only: String? = nil) throws {
        let bench = LearningBenchmark(epochs: quick ? 2 : 4)
        // Best peer (samples/s) and target multiple, from BENCHMARKS.md.
        let peers: [String: (best: Double, target: Double, peer: String)] = [
            "W2": (2_480_000, 1.5, "numpy 1 thread"), "W3": (678_000, 1.5, "numpy 1 thread"),
            "W4": (97_000, 1.0, "numpy 2 threads"),
        ]
        print("")
        print("W2–W5  training samples/s, SGD, synthetic data; median of \(bench.epochs) epochs after a warm-up epoch")
        print(pad("workload", 40) + pad("threads", 8) + pad("samples/s", 12) + pad("best peer", 12) + "ratio (target)")
        for workload in [LearningBenchmark.w2, LearningBenchmark.w3, LearningBenchmark.w4]
        where only == nil || only == workload.id || only == "W5-\(workload.id)" {
            let result = try bench.run(workload, privacy: false)
            let peer = peers[workload.id]!
            print(pad("\(workload.id) \(workload.title)", 40) + pad("\(result.threads)", 8)
                  + pad(String(format: "%.0f", result.samplesPerSecond), 12) + pad(String(format: "%.0f", peer.best), 12)
                  + String(format: "%.2f× (≥ %.1f×, vs %@)", result.samplesPerSecond / peer.best, peer.target, peer.peer))
            figures["\(workload.id.lowercased()).samples_per_second"] = result.samplesPerSecond
        }
        print("")
        try printNoiseSpeed()
        let pairs = quick ? 3 : 7
        print("W5  DP-SGD (clip 1.0, σ 1.0, Poisson sampling, secure AES-CTR noise) vs plain SGD on the same model:")
        print("    \(pairs) pairs of one plain and one DP-SGD epoch, taking turns; slowdown = plain ÷ DP samples/s of a pair")
        print(pad("workload", 40) + pad("threads", 10) + pad("samples/s", 12) + "slowdown: median [range] (target ≤ 1.5×; Opacus 5.3× / 60×)")
        for workload in [LearningBenchmark.w3, LearningBenchmark.w4] where only == nil || only == "W5-\(workload.id)" {
            let result = try bench.runPaired(workload, pairs: pairs)
            // Threads the automatic choice took in each pair, plain/DP (e.g. "2/2 1/2").
            let threads = Set(zip(result.plainThreads, result.privateThreads).map { "\($0)/\($1)" }).sorted().joined(separator: " ")
            print(pad("\(workload.id)+DP \(workload.title)", 40) + pad(threads, 10)
                  + pad(String(format: "%.0f", result.privateSamplesPerSecond), 12)
                  + String(format: "%.2f× [%.2f–%.2f]", result.medianSlowdown, result.slowdowns.first!, result.slowdowns.last!))
            figures["w5.\(workload.id.lowercased()).samples_per_second"] = result.privateSamplesPerSecond
            figures["w5.\(workload.id.lowercased()).slowdown"] = result.medianSlowdown
        }
    }

    func runRounds() {
        RoundBenchmark.run(figures: &figures)
    }

    func runNetworkRounds() {
        NetworkBenchmark.run(figures: &figures)
    }

    /// How fast the secure Gaussian generator fills a W4-sized gradient (235,146 values).
    func printNoiseSpeed() throws {
        var tensor = Tensor<Float>.zeros([235_146])
        let single = try GaussianNoise.secure()
        let one = BLASDiagnostics.medianSeconds(warmup: 5, repetitions: 51) { single.addNoise(to: &tensor, standardDeviation: 1) }
        let parallel = try ParallelGaussianNoise(GaussianNoise.secure(), count: 2)
        let two = BLASDiagnostics.medianSeconds(warmup: 5, repetitions: 51) { parallel.addNoise(to: &tensor, standardDeviation: 1) }
        print(String(format: "noise: %.2f ns per secure normal (one stream), %.2f ns with two streams in parallel; %.3f ms per W4 step",
                     one / 235_146 * 1e9, two / 235_146 * 1e9, two * 1e3))
        figures["noise.ns_per_normal"] = one / 235_146 * 1e9
        figures["noise.ns_per_normal_two_streams"] = two / 235_146 * 1e9
    }

    private func row(_ result: GEMMBenchmark.Result) -> String {
        pad(result.shape.description, 18) + pad("\(result.threads)", 8)
            + pad(String(format: "%.1f", result.cohortGFLOPS), 13) + pad(String(format: "%.1f", result.rawGFLOPS), 11)
            + pad(String(format: "%.3f", result.ratio), 11)
    }

    private func record(_ result: GEMMBenchmark.Result) {
        let key = "w1.\(result.shape.m)x\(result.shape.k)x\(result.shape.n).t\(result.threads)"
        figures[key + ".cohort_gflops"] = result.cohortGFLOPS
        figures[key + ".ratio_to_raw"] = result.ratio
    }

    /// GFLOP/s of the squares under the Prescott kernel, from a child process.
    private func prescottSquares() -> [Int: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--child-squares"] + (quick ? ["--quick"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment[BLASRuntime.coreTypeVariable] = "Prescott"
        environment.removeValue(forKey: BLASRuntime.reexecMarkerVariable)
        environment.removeValue(forKey: BLASRuntime.testTreatCoreTypeAsAutodetectedVariable)
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
        } catch {
            print("(Prescott comparison unavailable: \(error))")
            return [:]
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let results = try? JSONDecoder().decode([GEMMBenchmark.Result].self, from: data) else {
            print("(Prescott comparison unavailable: the child printed no results)")
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: results.map { ($0.shape.m, $0.cohortGFLOPS) })
    }

    func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(figures).write(to: URL(fileURLWithPath: path))
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
