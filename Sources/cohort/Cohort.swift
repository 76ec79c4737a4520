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
        // One malloc arena for all threads, set before any thread starts. glibc gives each
        // thread that contends for the heap its own arena, and a 4 MB model buffer freed in
        // one arena is not reused by the next allocation in another, so every process kept
        // several generations of the model resident. W7, 1M parameters, orchestrator + 10
        // sites, sum of VmHWM (2 vCPU EPYC, shared): 1323 → 1055–1069 MiB over 3 runs, and
        // s/round 0.67 → 0.54–0.59 (no cost beyond the noise). A low M_MMAP_THRESHOLD instead
        // (256 KiB–2 MiB: 930–952 MiB) cost 0.35–0.45 s per round in page faults: not used.
        ProcessMemory.useOneMallocArena()
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
