import ArgumentParser
import CCohortSupport
import CohortTensor

/// The `cohort` command: federated training across hospitals without moving patient data.
@main
struct Cohort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Federated learning for hospitals: train together, keep every record at home.",
        version: "0.1.0",
        subcommands: [Simulate.self, Train.self, Evaluate.self, Inspect.self, SchemaCommand.self, Privacy.self, OrchestratorCommand.self, SiteCommand.self, RunCommand.self, RunsCommand.self, CancelCommand.self, Certs.self, Audit.self, Doctor.self])

    static func main() async {
        // Before any BLAS work: fix a fallback OpenBLAS kernel (may re-execute this process).
        BLASRuntime.start()
        cohort_line_buffer_standard_output()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
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
