import CohortTensor
import Foundation

// cohort-bench: the workloads of BENCHMARKS.md, run in release mode:
//   swift run -c release cohort-bench [--quick] [--json FILE]
// The Prescott comparison runs this executable again as a child with
// OPENBLAS_CORETYPE=Prescott (the kernel is fixed when OpenBLAS loads, so it takes a
// second process) and reads its figures back as JSON.

BLASRuntime.start()
/// The command line, parsed by hand so the release build stays small.
struct BenchmarkOptions {
    var quick = false
    var childSquaresOnly = false
    var jsonPath: String?
    var trainingOnly = false
    var only: String?
    var w6Child: (sites: Int, parameters: Int)?

    init(_ arguments: [String]) {
        var rest = arguments
        func flag(_ name: String) -> Bool {
            guard let index = rest.firstIndex(of: name) else { return false }
            rest.remove(at: index)
            return true
        }
        func option(_ name: String) -> String? {
            guard let index = rest.firstIndex(of: name), index + 1 < rest.count else { return nil }
            let value = rest[index + 1]
            rest.removeSubrange(index...(index + 1))
            return value
        }
        quick = flag("--quick")
        childSquaresOnly = flag("--child-squares")
        jsonPath = option("--json")
        trainingOnly = flag("--training-only")
        only = option("--only")
        if let index = rest.firstIndex(of: "--w6-child"), index + 2 < rest.count,
           let sites = Int(rest[index + 1]), let parameters = Int(rest[index + 2]) {
            w6Child = (sites, parameters)
            rest.removeSubrange(index...(index + 2))
        }
        if !rest.isEmpty {
            FileHandle.standardError.write(Data(
                "cohort-bench: unknown arguments \(rest)\nusage: cohort-bench [--quick] [--training-only] [--only W2|W3|W4|W5-W3|W5-W4|W6|W7] [--json FILE]\n".utf8))
            exit(2)
        }
    }
}

let options = BenchmarkOptions(Array(CommandLine.arguments.dropFirst()))
let quick = options.quick
let childSquaresOnly = options.childSquaresOnly
let jsonPath = options.jsonPath

let benchmark = GEMMBenchmark(repetitions: quick ? 5 : 11)
let cores = ProcessInfo.processInfo.activeProcessorCount

if let child = options.w6Child {
    BLASRuntime.threads = 1
    try await RoundBenchmark.child(sites: child.sites, parameters: child.parameters)
    exit(0)
}

if childSquaresOnly {
    // Child mode: squares at all cores, as JSON on stdout.
    let results = GEMMBenchmark.squares.map { benchmark.measure($0, threads: cores) }
    print(String(decoding: try JSONEncoder().encode(results), as: UTF8.self))
    exit(0)
}

print("cohort-bench — OpenBLAS \(BLASRuntime.version), kernel \(BLASRuntime.coreName) (\(BLASRuntime.choice.summary)), \(cores) cores")
print("")
let report = BenchmarkReport(benchmark: benchmark, cores: cores, quick: quick)
if !options.trainingOnly && (options.only == nil || options.only == "W1") { report.runW1() }
if options.only != "W6" && options.only != "W7" { try report.runTraining(only: options.only) }
if options.only == nil || options.only == "W6" { report.runRounds() }
if options.only == nil || options.only == "W7" { report.runNetworkRounds() }
if let jsonPath {
    try report.writeJSON(to: jsonPath)
    print("\nwrote \(jsonPath)")
}
