import ArgumentParser
import CohortTensor

/// The `cohort` command: federated training across hospitals without moving patient data.
@main
struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Federated learning for hospitals: train together, keep every record at home.",
        version: "0.1.0",
        subcommands: [Train.self, Evaluate.self, Inspect.self, SchemaCommand.self, Privacy.self, Doctor.self])

    static func main() {
        // Before any BLAS work: fix a fallback OpenBLAS kernel (may re-execute this process).
        BLASRuntime.start()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command that computes shares.
struct ComputeOptions: ParsableArguments {
    @Option(name: .customLong("blas-threads"),
            help: "BLAS threads (default: COHORT_BLAS_THREADS, else the cores available).")
    var blasThreads: Int?

    func validate() throws {
        if let blasThreads, blasThreads < 1 {
            throw ValidationError("--blas-threads must be at least 1, got \(blasThreads)")
        }
    }

    /// Applies the options to the process's BLAS.
    func apply() {
        if let blasThreads { BLASRuntime.threads = blasThreads }
    }
}
